// Equality of short texts without a library call, for the span hot path. Private.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tachi_trace::detail {

// Whether two texts are equal; those of up to 16 bytes (most attribute keys and many values) are
// compared in registers, without a call to memcmp.
[[gnu::always_inline]] inline bool same_text(std::string_view left,
                                             std::string_view right) noexcept {
  const std::size_t size = left.size();
  if (size != right.size()) return false;
  if (size > 16) return left == right;
  auto word = [](const char* text) {
    std::uint64_t value;
    std::memcpy(&value, text, sizeof value);
    return value;
  };
  auto half_word = [](const char* text) {
    std::uint32_t value;
    std::memcpy(&value, text, sizeof value);
    return value;
  };
  const char* a = left.data();
  const char* b = right.data();
  // Two overlapping loads cover every length from 8 to 16 (and from 4 to 8).
  if (size >= 8) return ((word(a) ^ word(b)) | (word(a + size - 8) ^ word(b + size - 8))) == 0;
  if (size >= 4)
    return ((half_word(a) ^ half_word(b)) | (half_word(a + size - 4) ^ half_word(b + size - 4))) ==
           0;
  for (std::size_t index = 0; index < size; ++index)
    if (a[index] != b[index]) return false;
  return true;
}

}  // namespace tachi_trace::detail
