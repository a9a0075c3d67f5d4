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
  return static_cast<std::size_t>(std::bit_width(value | 1) + 6) / 7;
}

class Sizer {
 public:
  /// `sizes` is cleared, then filled with the size of each nested message.
  explicit Sizer(std::vector<std::uint32_t>& sizes) : sizes_(sizes) { sizes_.clear(); }

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
    add_delimited(field, size);
  }
  void string(std::uint32_t field, std::string_view text) noexcept {
    add_delimited(field, sanitized_utf8_length(text));
  }
  /// For strings the caller knows to be valid UTF-8 and writes in pieces (`raw`).
  void delimited(std::uint32_t field, std::size_t size) noexcept { add_delimited(field, size); }
  void raw(std::string_view) noexcept {}

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
  void add_delimited(std::uint32_t field, std::size_t size) noexcept {
    total_ += varint_size(make_tag(field, WireType::length_delimited)) + varint_size(size) + size;
  }

  std::vector<std::uint32_t>& sizes_;
  std::array<Open, 16> open_;  // OTLP nests messages at most 9 deep
  std::size_t depth_ = 0;
  std::size_t total_ = 0;
};

class Writer {
 public:
  /// Writes to `out`, which has room for what the Sizer measured.
  Writer(const std::vector<std::uint32_t>& sizes, char* out) noexcept : sizes_(sizes), out_(out) {}

  void varint(std::uint32_t field, std::uint64_t value) noexcept {
    put_varint(make_tag(field, WireType::varint));
    put_varint(value);
  }
  void fixed64(std::uint32_t field, std::uint64_t value) noexcept {
    put_varint(make_tag(field, WireType::fixed64));
    put_little_endian(value);
  }
  void fixed32(std::uint32_t field, std::uint32_t value) noexcept {
    put_varint(make_tag(field, WireType::fixed32));
    put_little_endian(value);
  }
  void bytes(std::uint32_t field, const std::uint8_t* data, std::size_t size) noexcept {
    put_varint(make_tag(field, WireType::length_delimited));
    put_varint(size);
    std::memcpy(out_, data, size);
    out_ += size;
  }
  void string(std::uint32_t field, std::string_view text) noexcept {
    put_varint(make_tag(field, WireType::length_delimited));
    put_varint(sanitized_utf8_length(text));
    out_ = write_sanitized_utf8(text, out_);
  }
  void delimited(std::uint32_t field, std::size_t size) noexcept {
    put_varint(make_tag(field, WireType::length_delimited));
    put_varint(size);
  }
  void raw(std::string_view text) noexcept { out_ = write_sanitized_utf8(text, out_); }

  void begin(std::uint32_t field) noexcept {
    put_varint(make_tag(field, WireType::length_delimited));
    put_varint(sizes_[next_size_++]);
  }
  void end(std::uint32_t) noexcept {}

  char* position() const noexcept { return out_; }

 private:
  void put_varint(std::uint64_t value) noexcept {
    while (value >= 0x80) {
      *out_++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *out_++ = static_cast<char>(value);
  }
  template <typename Integer>
  void put_little_endian(Integer value) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out_, &value, sizeof value);
      out_ += sizeof value;
    } else {
      for (std::size_t index = 0; index < sizeof value; ++index)
        *out_++ = static_cast<char>(value >> (8 * index));
    }
  }

  const std::vector<std::uint32_t>& sizes_;
  std::size_t next_size_ = 0;
  char* out_;
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
