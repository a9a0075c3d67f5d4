#include "tachi_trace/attributes.hpp"

#include <charconv>
#include <cmath>

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

Attribute& AttributeList::append_new() {
  items_.emplace_back();
  return items_[size_++];
}

namespace {
template <typename List>

bool set_within_limits(List& attributes, std::string_view key, AttributeValue value,
                       std::uint32_t count_limit, std::uint32_t value_length_limit) {
  if (value_length_limit != SpanLimits::unlimited)
    truncate_attribute_value(value, value_length_limit);
  for (auto& existing : attributes) {
    if (existing.key.size() == key.size() && existing.key == key) {
      existing.value = std::move(value);
      return true;
    }
  }
  if (attributes.size() >= count_limit) return false;
  attributes.push_back(Attribute{std::string(key), std::move(value)});
  return true;
}
}  // namespace

bool set_attribute_within_limits(Attributes& attributes, std::string_view key, AttributeValue value,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit) {
  return set_within_limits(attributes, key, std::move(value), count_limit, value_length_limit);
}

bool set_attribute_within_limits(AttributeList& attributes, std::string_view key,
                                 AttributeValue value, std::uint32_t count_limit,
                                 std::uint32_t value_length_limit) {
  return set_within_limits(attributes, key, std::move(value), count_limit, value_length_limit);
}

}  // namespace tachi_trace
