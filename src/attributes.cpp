#include "tachi_trace/attributes.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <ostream>

#include "json_text.hpp"

namespace tachi_trace {

namespace {

// Length of the longest prefix of `text` not over `limit` bytes that ends on a UTF-8 sequence
// boundary.
std::size_t utf8_prefix_length(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t length = limit;
  while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80)
    --length;
  return length;
}

void truncate_string(std::string& text, std::uint32_t limit) {
  if (text.size() > limit) text.resize(utf8_prefix_length(text, limit));
}

struct ValueFormatter {
  std::string operator()(bool value) const { return value ? "true" : "false"; }
  std::string operator()(std::int64_t value) const { return std::to_string(value); }
  std::string operator()(double value) const { return detail::format_double(value); }
  std::string operator()(const std::string& value) const { return value; }
  template <typename Element>
  std::string operator()(const std::vector<Element>& values) const {
    std::string text = "[";
    for (std::size_t index = 0; index < values.size(); ++index) {
      if (index > 0) text += ',';
      if constexpr (std::is_same_v<Element, std::string>)
        detail::append_json_string(text, values[index]);
      else
        text += (*this)(static_cast<Element>(values[index]));
    }
    return text + "]";
  }
};

}  // namespace

std::string_view truncated_utf8(std::string_view text, std::uint32_t length_limit) noexcept {
  return text.substr(0, utf8_prefix_length(text, length_limit));
}

std::string AttributeValue::to_string() const {
  return std::visit(ValueFormatter{}, storage_);
}

void truncate_attribute_value(AttributeValue& value, std::uint32_t length_limit) {
  if (length_limit == SpanLimits::unlimited) return;
  if (auto* text = std::get_if<std::string>(&value.storage())) {
    truncate_string(*text, length_limit);
  } else if (auto* texts = std::get_if<std::vector<std::string>>(&value.storage())) {
    for (auto& element : *texts)
      truncate_string(element, length_limit);
  }
}

void AttributeKey::assign(std::string_view text) {
  const std::size_t size = text.size();
  if (on_heap() && size <= capacity_) {
    // memmove: the text may be part of this very buffer.
    std::memmove(const_cast<char*>(data_), text.data(), size);
    size_ = size;
    return;
  }
  if (size <= inline_capacity) {  // not on the heap here: a heap buffer holds more than that
    std::memmove(inline_, text.data(), size);
    data_ = inline_;
    size_ = size;
    return;
  }
  char* buffer = new char[size];
  std::memcpy(buffer, text.data(), size);
  release_heap();
  data_ = buffer;
  size_ = size;
  capacity_ = size;
}

void AttributeKey::copy_from(const AttributeKey& other) {
  if (const auto constant = other.constant())
    assign(*constant);
  else
    assign(other.view());
}

void AttributeKey::take_from(AttributeKey& other) noexcept {
  if (other.is_inline()) {
    std::memcpy(inline_, other.inline_, other.size_);
    data_ = inline_;
  } else {
    data_ = other.data_;
    capacity_ = other.capacity_;
  }
  size_ = std::exchange(other.size_, 0);
  other.data_ = other.inline_;
}

std::ostream& operator<<(std::ostream& out, const AttributeKey& key) {
  return out << key.view();
}

Attribute& AttributeList::append_new() {
  items_.emplace_back();
  return items_[size_++];
}

bool set_attribute_within_limits(Attributes& attributes, Attribute attribute,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit) {
  if (value_length_limit != SpanLimits::unlimited)
    truncate_attribute_value(attribute.value, value_length_limit);
  for (auto& existing : attributes) {
    if (existing.key == attribute.key) {
      existing.value = std::move(attribute.value);
      return true;
    }
  }
  if (attributes.size() >= count_limit) return false;
  attributes.push_back(std::move(attribute));
  return true;
}

bool set_attribute_within_limits(Attributes& attributes, std::string_view key, AttributeValue value,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit) {
  return set_attribute_within_limits(attributes, Attribute{key, std::move(value)}, count_limit,
                                     value_length_limit);
}

}  // namespace tachi_trace
