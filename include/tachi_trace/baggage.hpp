// Baggage: application-defined key/value pairs that travel with a trace (W3C Baggage).
//
// Immutable; every change returns a new Baggage. Copying is cheap and the empty baggage allocates
// nothing. The W3C header codec lives with the propagators.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tachi_trace {

class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::string metadata;  // the entry's properties, as received (";"-separated)
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() noexcept = default;
  /// The baggage of `entries` in order. A repeated key keeps its first position and its last
  /// value, as if each entry were added with `with`.
  static Baggage from_entries(std::vector<Entry> entries);

  bool empty() const noexcept { return !entries_ || entries_->empty(); }
  std::size_t size() const noexcept { return entries_ ? entries_->size() : 0; }
  std::optional<std::string_view> get(std::string_view key) const noexcept;
  const std::vector<Entry>& entries() const noexcept;

  /// A copy with `key` set (replacing an earlier value).
  Baggage with(std::string_view key, std::string_view value, std::string_view metadata = {}) const;
  Baggage without(std::string_view key) const;

  friend bool operator==(const Baggage& left, const Baggage& right) noexcept {
    return left.entries() == right.entries();
  }

 private:
  explicit Baggage(std::vector<Entry> entries);
  std::shared_ptr<const std::vector<Entry>> entries_;
};

}  // namespace tachi_trace
