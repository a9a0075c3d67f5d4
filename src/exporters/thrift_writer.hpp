// The Thrift binary protocol (TBinaryProtocol), writing side: big-endian integers, field headers
// of type and id, lists with their element type and size, structs ended by a stop byte. Only
// messages have a "strict" form (a versioned header); a bare struct, as Jaeger's HTTP endpoint
// takes it, is the same in both. Private.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "utf8.hpp"

namespace tachi_trace::detail::thrift {

enum class Type : std::uint8_t {
  stop = 0,
  boolean = 2,
  double_ = 4,
  i32 = 8,
  i64 = 10,
  string = 11,
  structure = 12,
  list = 15,
};

class Writer {
 public:
  explicit Writer(std::string& out) noexcept : out_(out) {}

  void field(Type type, std::int16_t id) {
    put(static_cast<std::uint8_t>(type));
    put_big_endian(static_cast<std::uint16_t>(id));
  }
  void stop() { put(static_cast<std::uint8_t>(Type::stop)); }
  void list(Type element_type, std::size_t size) {
    put(static_cast<std::uint8_t>(element_type));
    put_big_endian(static_cast<std::uint32_t>(size));
  }
  void i32(std::int32_t value) { put_big_endian(static_cast<std::uint32_t>(value)); }
  void i64(std::int64_t value) { put_big_endian(static_cast<std::uint64_t>(value)); }
  void boolean(bool value) { put(value ? 1 : 0); }
  void double_(double value) { put_big_endian(std::bit_cast<std::uint64_t>(value)); }
  /// A string: its length as i32, then its bytes (invalid UTF-8 replaced by U+FFFD).
  void string(std::string_view text) {
    if (is_valid_utf8(text)) {
      put_big_endian(static_cast<std::uint32_t>(text.size()));
      out_.append(text);
      return;
    }
    const std::size_t length = sanitized_utf8_length(text);
    put_big_endian(static_cast<std::uint32_t>(length));
    const std::size_t start = out_.size();
    out_.resize(start + length);
    write_sanitized_utf8(text, out_.data() + start);
  }

  void i32_field(std::int16_t id, std::int32_t value) {
    field(Type::i32, id);
    i32(value);
  }
  void i64_field(std::int16_t id, std::int64_t value) {
    field(Type::i64, id);
    i64(value);
  }
  void string_field(std::int16_t id, std::string_view text) {
    field(Type::string, id);
    string(text);
  }

 private:
  void put(std::uint8_t byte) { out_ += static_cast<char>(byte); }
  template <typename Unsigned>
  void put_big_endian(Unsigned value) {
    char bytes[sizeof value];
    for (std::size_t index = 0; index < sizeof value; ++index)
      bytes[index] = static_cast<char>(value >> (8 * (sizeof value - 1 - index)));
    out_.append(bytes, sizeof value);
  }

  std::string& out_;
};

}  // namespace tachi_trace::detail::thrift
