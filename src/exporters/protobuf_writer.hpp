// A protobuf wire-format writer in two passes, for encoders that must not allocate per message.
// Private.
//
// A length-delimited field is prefixed with its length, which is known only once its contents
// are. So a message tree is walked twice by the same code, templated on the "sink": `Sizer`
// measures, recording the size of every nested message in the order the messages start, and
// `Writer` then writes each message's tag and length straight from that record before its
// contents. The record is a vector the caller keeps, so steady-state encoding allocates nothing.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "utf8.hpp"

namespace tachi_trace::detail::protobuf {

enum class WireType : std::uint32_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

constexpr std::uint32_t make_tag(std::uint32_t field, WireType type) noexcept {
  return field << 3 | static_cast<std::uint32_t>(type);
}

constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  // Nearly every tag, length and number here takes one or two bytes: the tests are cheaper than
  // the formula.
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  // ceil(bits / 7) without a division: the formula protobuf's own sizers use.
  const auto highest_bit = static_cast<std::size_t>(std::bit_width(value | 1)) - 1;
  return (highest_bit * 9 + 73) / 64;
}
static_assert(varint_size(0) == 1 && varint_size(127) == 1 && varint_size(128) == 2 &&
              varint_size(16383) == 2 && varint_size(16384) == 3 && varint_size(~0ULL) == 10);

// Strings must be valid UTF-8. The Writer checks each one as it copies it (so the bytes are read
// once, by the pass that needs them); the rare batch with an invalid string is then measured and
// written again in "repair" mode, where such strings take U+FFFD in place of the bad bytes.
// Repair is a template parameter, so the normal passes carry no test for it.

template <bool Repair>
class BasicSizer {
 public:
  static constexpr bool measuring = true;

  /// `sizes` is cleared, then filled with the size of each nested message.
  explicit BasicSizer(std::vector<std::uint32_t>& sizes) : sizes_(sizes) { sizes_.clear(); }

  void varint(std::uint32_t field, std::uint64_t value) noexcept {
    total_ += varint_size(make_tag(field, WireType::varint)) + varint_size(value);
  }
  void fixed64(std::uint32_t field, std::uint64_t) noexcept {
    total_ += varint_size(make_tag(field, WireType::fixed64)) + 8;
  }
  void fixed32(std::uint32_t field, std::uint32_t) noexcept {
    total_ += varint_size(make_tag(field, WireType::fixed32)) + 4;
  }
  void bytes(std::uint32_t field, const std::uint8_t*, std::size_t size) noexcept {
    delimited(field, size);
  }
  void string(std::uint32_t field, std::string_view text) noexcept {
    delimited(field, measure(text));
  }
  /// A length-delimited field of `size` bytes, whose contents are written in pieces (`raw`).
  void delimited(std::uint32_t field, std::size_t size) noexcept {
    total_ += varint_size(make_tag(field, WireType::length_delimited)) + varint_size(size) + size;
  }
  void raw(std::string_view) noexcept {}
  /// The bytes `text` takes once written.
  static std::size_t measure(std::string_view text) noexcept {
    if constexpr (Repair) return sanitized_utf8_length(text);
    return text.size();
  }

  void begin(std::uint32_t) {
    assert(depth_ < open_.size());
    open_[depth_++] = Open{sizes_.size(), total_};
    sizes_.push_back(0);
  }
  void end(std::uint32_t field) noexcept {
    const Open open = open_[--depth_];
    const std::size_t size = total_ - open.start;
    sizes_[open.slot] = static_cast<std::uint32_t>(size);
    total_ += varint_size(make_tag(field, WireType::length_delimited)) + varint_size(size);
  }

  std::size_t total() const noexcept { return total_; }

 private:
  struct Open {
    std::size_t slot;
    std::size_t start;
  };

  std::vector<std::uint32_t>& sizes_;
  std::array<Open, 16> open_;  // OTLP nests messages at most 9 deep
  std::size_t depth_ = 0;
  std::size_t total_ = 0;
};

// Every store goes through a local copy of the cursor: a store through a char pointer may alias
// anything, so writing through the member would make the compiler reload it after each byte.
template <bool Repair>
class BasicWriter {
 public:
  static constexpr bool measuring = false;

  /// Writes to `out`, which has room for what the BasicSizer<Repair> measured.
  BasicWriter(const std::vector<std::uint32_t>& sizes, char* out) noexcept
      : next_size_(sizes.data()), out_(out) {}

  void varint(std::uint32_t field, std::uint64_t value) noexcept {
    char* cursor = put_varint(out_, make_tag(field, WireType::varint));
    out_ = put_varint(cursor, value);
  }
  void fixed64(std::uint32_t field, std::uint64_t value) noexcept {
    char* cursor = put_varint(out_, make_tag(field, WireType::fixed64));
    out_ = put_little_endian(cursor, value);
  }
  void fixed32(std::uint32_t field, std::uint32_t value) noexcept {
    char* cursor = put_varint(out_, make_tag(field, WireType::fixed32));
    out_ = put_little_endian(cursor, value);
  }
  void bytes(std::uint32_t field, const std::uint8_t* data, std::size_t size) noexcept {
    char* cursor = put_varint(out_, make_tag(field, WireType::length_delimited));
    cursor = put_varint(cursor, size);
    if (size > 0) std::memcpy(cursor, data, size);
    out_ = cursor + size;
  }
  void string(std::uint32_t field, std::string_view text) noexcept {
    delimited(field, measure(text));
    raw(text);
  }
  void delimited(std::uint32_t field, std::size_t size) noexcept {
    char* cursor = put_varint(out_, make_tag(field, WireType::length_delimited));
    out_ = put_varint(cursor, size);
  }
  void raw(std::string_view text) noexcept {
    char* cursor = out_;
    if constexpr (Repair) {
      out_ = write_sanitized_utf8(text, cursor);
    } else {
      // Most strings are ASCII, checked while copied; the others are checked in full.
      if (!copy_checking_ascii(text.data(), text.size(), cursor) &&
          !is_valid_utf8_from_non_ascii(text))
        found_invalid_utf8_ = true;
      out_ = cursor + text.size();
    }
  }
  static std::size_t measure(std::string_view text) noexcept {
    return BasicSizer<Repair>::measure(text);
  }

  void begin(std::uint32_t field) noexcept {
    const std::uint32_t size = *next_size_++;
    char* cursor = put_varint(out_, make_tag(field, WireType::length_delimited));
    out_ = put_varint(cursor, size);
  }
  void end(std::uint32_t) noexcept {}

  char* position() const noexcept { return out_; }
  /// True when a string was not valid UTF-8: what was written must be redone in repair mode.
  bool found_invalid_utf8() const noexcept { return found_invalid_utf8_; }

 private:
  static char* put_varint(char* cursor, std::uint64_t value) noexcept {
    while (value >= 0x80) {
      *cursor++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *cursor++ = static_cast<char>(value);
    return cursor;
  }
  template <typename Integer>
  static char* put_little_endian(char* cursor, Integer value) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(cursor, &value, sizeof value);
      return cursor + sizeof value;
    } else {
      for (std::size_t index = 0; index < sizeof value; ++index)
        *cursor++ = static_cast<char>(value >> (8 * index));
      return cursor;
    }
  }

  const std::uint32_t* next_size_;
  char* out_;
  bool found_invalid_utf8_ = false;
};

/// Reads the wire format, for the few small messages the exporters receive.
class Reader {
 public:
  explicit Reader(std::string_view data) noexcept : data_(data) {}

  /// Moves to the next field; false at the end or on malformed input (see `failed`).
  bool next(std::uint32_t& field, WireType& type) noexcept;
  bool read_varint(std::uint64_t& value) noexcept;
  bool read_delimited(std::string_view& value) noexcept;
  /// Skips the value of a field of `type` (after `next`).
  bool skip(WireType type) noexcept;
  bool failed() const noexcept { return failed_; }

 private:
  std::string_view data_;
  bool failed_ = false;
};

}  // namespace tachi_trace::detail::protobuf
