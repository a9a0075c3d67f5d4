// UTF-8 checks for the binary encoders: protobuf `string` fields must hold valid UTF-8 (receivers
// refuse the whole request otherwise), and Jaeger's storage expects it too. Private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tachi_trace::detail {

/// Copies eight bytes and returns them, for the caller to check.
inline std::uint64_t copy_word(const char* source, char* out) noexcept {
  std::uint64_t word;
  std::memcpy(&word, source, 8);
  std::memcpy(out, &word, 8);
  return word;
}

/// Copies `size` bytes from `source` to `out` (which must not overlap) and says whether they were
/// all ASCII. The bytes are copied in word moves (the last ones overlapping) and checked as they
/// pass: no call for the short strings that are most of them, and each byte is read once.
inline bool copy_checking_ascii(const char* source, std::size_t size, char* out) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  std::uint64_t seen = 0;
  if (size > 16) {
    // Sixteen bytes a round; the last round overlaps the one before.
    for (std::size_t index = 0; index + 16 < size; index += 16)
      seen |=
          copy_word(source + index, out + index) | copy_word(source + index + 8, out + index + 8);
    seen |= copy_word(source + size - 16, out + size - 16) |
            copy_word(source + size - 8, out + size - 8);
    return (seen & high_bits) == 0;
  }
  if (size >= 8) {
    seen = copy_word(source, out) | copy_word(source + size - 8, out + size - 8);
  } else if (size >= 4) {
    std::uint32_t first, last;
    std::memcpy(&first, source, 4);
    std::memcpy(&last, source + size - 4, 4);
    std::memcpy(out, &first, 4);
    std::memcpy(out + size - 4, &last, 4);
    seen = first | last;
  } else if (size > 0) {
    // One to three bytes: the first, the middle and the last cover them all.
    out[0] = source[0];
    out[size / 2] = source[size / 2];
    out[size - 1] = source[size - 1];
    seen = static_cast<unsigned char>(source[0]) | static_cast<unsigned char>(source[size / 2]) |
           static_cast<unsigned char>(source[size - 1]);
  }
  return (seen & high_bits) == 0;
}

/// The part of `is_valid_utf8` past the leading ASCII.
bool is_valid_utf8_from_non_ascii(std::string_view text) noexcept;

/// True when `text` is valid UTF-8. Inline, because most strings are short and all ASCII: those
/// are checked eight bytes at a time without a call.
inline bool is_valid_utf8(std::string_view text) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  std::size_t index = 0;
  for (; index + 8 <= text.size(); index += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + index, 8);
    if ((word & high_bits) != 0) return is_valid_utf8_from_non_ascii(text.substr(index));
  }
  for (; index < text.size(); ++index) {
    if (static_cast<unsigned char>(text[index]) >= 0x80)
      return is_valid_utf8_from_non_ascii(text.substr(index));
  }
  return true;
}

/// The length of `text` once every byte that does not start a valid sequence is replaced by
/// U+FFFD (three bytes).
std::size_t sanitized_utf8_length(std::string_view text) noexcept;

/// Writes that replaced form to `out` (room for `sanitized_utf8_length(text)` bytes); returns the
/// end of what was written.
char* write_sanitized_utf8(std::string_view text, char* out) noexcept;

}  // namespace tachi_trace::detail
