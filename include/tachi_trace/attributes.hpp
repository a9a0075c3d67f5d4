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
#include <iosfwd>
#include <limits>
#include <optional>
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

/// An attribute key known when the program is compiled: a string literal or another constant of
/// static storage duration (the constructor runs at compile time, so nothing else compiles).
/// Spans keep such a key by reference: setting it copies no text, and the recycled record of an
/// earlier span that set it matches it with one pointer comparison. The semantic-convention names
/// in semantic_conventions.hpp are of this type. (The text must outlive the spans that hold it,
/// as a program's own constants do; not those of a shared library unloaded while its spans are
/// still waiting for export.)
class ConstantKey {
 public:
  explicit consteval ConstantKey(const char* text) noexcept : text_(text) {}

  constexpr std::string_view text() const noexcept { return text_; }

 private:
  friend class AttributeKey;
  struct Referred {};
  constexpr ConstantKey(Referred, std::string_view text) noexcept : text_(text) {}

  std::string_view text_;
};

/// The key of an attribute as stored: a ConstantKey held by reference, or its own copy of any
/// other text (up to 16 bytes inline, longer on the heap). Reads as a std::string_view and
/// compares by text, whichever form it has.
class AttributeKey {
 public:
  AttributeKey() noexcept : data_(inline_) {}
  AttributeKey(ConstantKey key) noexcept
      : data_(key.text_.data()), size_(key.text_.size()), capacity_(0) {}
  template <typename Text>
  requires(std::is_convertible_v<const Text&, std::string_view> &&
           !std::is_same_v<Text, AttributeKey>) AttributeKey(const Text& text)
      : AttributeKey() {
    assign(std::string_view(text));
  }
  AttributeKey(const AttributeKey& other) : AttributeKey() { copy_from(other); }
  AttributeKey(AttributeKey&& other) noexcept : AttributeKey() { take_from(other); }
  AttributeKey& operator=(const AttributeKey& other) {
    if (this != &other) copy_from(other);
    return *this;
  }
  AttributeKey& operator=(AttributeKey&& other) noexcept {
    if (this != &other) {
      release_heap();
      take_from(other);
    }
    return *this;
  }
  ~AttributeKey() { release_heap(); }

  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view view() const noexcept { return {data_, size_}; }
  operator std::string_view() const noexcept { return view(); }

  /// Copies `text` (into the buffer this key already has, when it is large enough).
  void assign(std::string_view text);
  /// Refers to `key`, copying nothing.
  void assign(ConstantKey key) noexcept {
    release_heap();
    data_ = key.text_.data();
    size_ = key.text_.size();
    capacity_ = 0;
  }
  /// Whether this key refers to `key` itself (not merely to an equal text). A ConstantKey's text
  /// has static storage, so no copy this key holds can be at its address.
  bool refers_to(ConstantKey key) const noexcept {
    return data_ == key.text_.data() && size_ == key.text_.size();
  }
  /// The ConstantKey this key refers to, if it refers to one.
  std::optional<ConstantKey> constant() const noexcept {
    if (is_inline() || capacity_ != 0) return std::nullopt;
    return ConstantKey(ConstantKey::Referred{}, view());
  }

  friend bool operator==(const AttributeKey& left, const AttributeKey& right) noexcept {
    return left.view() == right.view();
  }
  friend auto operator<=>(const AttributeKey& left, const AttributeKey& right) noexcept {
    return left.view() <=> right.view();
  }
  // Templates, so that a literal or a std::string compares without being made a key first.
  template <typename Text>
  requires(std::is_convertible_v<const Text&, std::string_view> &&
           !std::is_same_v<Text, AttributeKey>) friend bool
  operator==(const AttributeKey& left, const Text& right) noexcept {
    return left.view() == std::string_view(right);
  }
  template <typename Text>
  requires(std::is_convertible_v<const Text&, std::string_view> &&
           !std::is_same_v<Text, AttributeKey>) friend auto
  operator<=>(const AttributeKey& left, const Text& right) noexcept {
    return left.view() <=> std::string_view(right);
  }
  friend std::ostream& operator<<(std::ostream& out, const AttributeKey& key);

 private:
  static constexpr std::size_t inline_capacity = 16;

  bool is_inline() const noexcept { return data_ == inline_; }
  bool on_heap() const noexcept { return !is_inline() && capacity_ != 0; }
  void release_heap() noexcept {
    if (on_heap()) {
      delete[] data_;
      data_ = inline_;
      size_ = 0;
    }
  }
  void copy_from(const AttributeKey& other);
  void take_from(AttributeKey& other) noexcept;

  // data_ always points at the text, so reading a key takes no branch: at inline_, at a
  // ConstantKey's text (capacity_ 0), or at a heap buffer of capacity_ bytes that this key owns.
  const char* data_;
  std::size_t size_ = 0;
  union {
    char inline_[inline_capacity];
    std::size_t capacity_;
  };
};

struct Attribute {
  AttributeKey key;
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
/// `value_length_limit`. Returns false when the attribute was dropped for the count limit. A key
/// held by reference (ConstantKey) stays so.
bool set_attribute_within_limits(Attributes& attributes, Attribute attribute,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit);
bool set_attribute_within_limits(Attributes& attributes, std::string_view key, AttributeValue value,
                                 std::uint32_t count_limit, std::uint32_t value_length_limit);

/// Shortens every string in `value` to at most `length_limit` bytes, never splitting a UTF-8
/// sequence.
void truncate_attribute_value(AttributeValue& value, std::uint32_t length_limit);

/// The longest prefix of `text` of at most `length_limit` bytes that does not split a UTF-8
/// sequence.
std::string_view truncated_utf8(std::string_view text, std::uint32_t length_limit) noexcept;

}  // namespace tachi_trace
