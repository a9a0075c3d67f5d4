// Attribute values and the limits that bound them.
//
// An attribute is a key and a value of one of the OpenTelemetry types: string, bool, int64, double
// or a homogeneous array of one of these. `AttributeValue` converts from the natural C++ types (any
// integer, float, string literal, std::string, std::string_view, vectors), so call sites read
// `span.set_attribute("http.response.status_code", 200)`.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tachi_trace {

class AttributeValue {
 public:
  using Storage =
      std::variant<bool, std::int64_t, double, std::string, std::vector<bool>,
                   std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;

  AttributeValue() : storage_(std::string()) {}
  AttributeValue(bool value) : storage_(value) {}
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>)
      AttributeValue(Integer value)
      : storage_(from_integer(value)) {}
  template <std::floating_point Floating>
  AttributeValue(Floating value) : storage_(static_cast<double>(value)) {}
  AttributeValue(const char* value) : storage_(std::string(value)) {}
  AttributeValue(std::string_view value) : storage_(std::string(value)) {}
  AttributeValue(std::string value) : storage_(std::move(value)) {}
  AttributeValue(std::vector<bool> values) : storage_(std::move(values)) {}
  AttributeValue(std::vector<std::int64_t> values) : storage_(std::move(values)) {}
  AttributeValue(std::vector<double> values) : storage_(std::move(values)) {}
  AttributeValue(std::vector<std::string> values) : storage_(std::move(values)) {}

  const Storage& storage() const noexcept { return storage_; }
  Storage& storage() noexcept { return storage_; }

  template <typename Alternative>
  const Alternative* get_if() const noexcept {
    return std::get_if<Alternative>(&storage_);
  }

  /// The value as a string, as exporters without typed attributes (Zipkin tags) show it: arrays
  /// as JSON arrays, doubles in shortest round-trip form.
  std::string to_string() const;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;

 private:
  template <typename Integer>
  static Storage from_integer(Integer value) {
    // OpenTelemetry integers are signed 64-bit; a larger unsigned value keeps its exact digits
    // as a string rather than wrapping to a negative number.
    if constexpr (std::is_unsigned_v<Integer> && sizeof(Integer) >= sizeof(std::int64_t)) {
      if (value > static_cast<Integer>(std::numeric_limits<std::int64_t>::max()))
        return std::to_string(value);
    }
    return static_cast<std::int64_t>(value);
  }

  Storage storage_;
};

struct Attribute {
  std::string key;
  AttributeValue value;

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

using Attributes = std::vector<Attribute>;

/// A span's attributes: reads like a vector of Attribute, and keeps the elements it clears so
/// that later attributes reuse their key and string buffers. A recycled span record therefore
/// sets its attributes without allocating, and without moving elements around.
class AttributeList {
 public:
  AttributeList() noexcept = default;
  AttributeList(std::initializer_list<Attribute> attributes)
      : items_(attributes), size_(items_.size()) {}
  AttributeList(Attributes attributes) noexcept
      : items_(std::move(attributes)), size_(items_.size()) {}
  AttributeList(const AttributeList& other)
      : items_(other.begin(), other.end()), size_(other.size_) {}
  AttributeList(AttributeList&& other) noexcept
      : items_(std::move(other.items_)), size_(std::exchange(other.size_, 0)) {}
  AttributeList& operator=(const AttributeList& other) {
    if (this != &other) *this = AttributeList(other);
    return *this;
  }
  AttributeList& operator=(AttributeList&& other) noexcept {
    items_ = std::move(other.items_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  AttributeList& operator=(std::initializer_list<Attribute> attributes) {
    return *this = AttributeList(attributes);
  }

  const Attribute* begin() const noexcept { return items_.data(); }
  const Attribute* end() const noexcept { return items_.data() + size_; }
  Attribute* begin() noexcept { return items_.data(); }
  Attribute* end() noexcept { return items_.data() + size_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const Attribute& operator[](std::size_t index) const noexcept { return items_[index]; }
  Attribute& operator[](std::size_t index) noexcept { return items_[index]; }
  operator std::span<const Attribute>() const noexcept { return {begin(), size_}; }
  Attributes to_vector() const { return Attributes(begin(), end()); }

  /// A new last element. It reuses a cleared element when there is one, so its key and value
  /// hold that element's old content: the caller assigns both.
  Attribute& append() {
    if (size_ < items_.size()) [[likely]]
      return items_[size_++];
    return append_new();
  }
  void push_back(Attribute attribute) {
    Attribute& added = append();
    added.key = std::move(attribute.key);
    added.value = std::move(attribute.value);
  }
  /// Empties the list, keeping the cleared elements (and their buffers) for reuse.
  void clear() noexcept { size_ = 0; }
  /// Empties the list and frees its memory.
  void release() noexcept {
    Attributes().swap(items_);
    size_ = 0;
  }
  /// How many elements are kept, cleared or not.
  std::size_t kept() const noexcept { return items_.size(); }

  friend bool operator==(const AttributeList& left, const AttributeList& right) noexcept {
    return std::equal(left.begin(), left.end(), right.begin(), right.end());
  }
  friend bool operator==(const AttributeList& left, const Attributes& right) noexcept {
    return std::equal(left.begin(), left.end(), right.begin(), right.end());
  }

 private:
  Attribute& append_new();

  Attributes items_;
  std::size_t size_ = 0;
};

/// Bounds on what one span may hold (OTEL_SPAN_*_LIMIT and friends). What is over a limit is
/// dropped and counted on the span; strings over the value length are truncated.
struct SpanLimits {
  static constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();

  std::uint32_t attribute_count = 128;
  std::uint32_t event_count = 128;
  std::uint32_t link_count = 128;
  std::uint32_t attributes_per_event = 128;
  std::uint32_t attributes_per_link = 128;
  std::uint32_t attribute_value_length = unlimited;

  friend bool operator==(const SpanLimits&, const SpanLimits&) = default;
};

/// Appends or replaces `attribute` in `attributes` while honouring `count_limit` and
/// `value_length_limit`. Returns false when the attribute was dropped for the count limit.
bool set_attribute_within_limits(Attributes& attributes, std::string_view key, AttributeValue value,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit);
bool set_attribute_within_limits(AttributeList& attributes, std::string_view key,
                                 AttributeValue value, std::uint32_t count_limit,
                                 std::uint32_t value_length_limit);

/// Shortens every string in `value` to at most `length_limit` bytes, never splitting a UTF-8
/// sequence.
void truncate_attribute_value(AttributeValue& value, std::uint32_t length_limit);

/// The longest prefix of `text` of at most `length_limit` bytes that does not split a UTF-8
/// sequence.
std::string_view truncated_utf8(std::string_view text, std::uint32_t length_limit) noexcept;

}  // namespace tachi_trace
