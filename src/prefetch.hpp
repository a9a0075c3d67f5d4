// Cache-line prefetch hints for data another processor wrote or read last. Private.
#pragma once

#include <cstddef>

namespace tachi_trace::detail {

inline constexpr std::size_t cache_line_size = 64;

/// Asks for the cache lines of [begin, begin + bytes), to be read. Only a hint.
inline void prefetch_for_reading(const void* begin, std::size_t bytes) noexcept {
  const auto* first = static_cast<const char*>(begin);
  for (std::size_t offset = 0; offset < bytes; offset += cache_line_size)
    __builtin_prefetch(first + offset, 0, 3);
}

/// Asks for the cache lines of [begin, begin + bytes) with the intent to write them. On x86 this
/// is PREFETCHW, which processors without it take as a no-op; GCC's builtin emits it only when
/// the whole translation unit targets such processors, so it is written out here.
inline void prefetch_for_writing(const void* begin, std::size_t bytes) noexcept {
  const auto* first = static_cast<const char*>(begin);
  for (std::size_t offset = 0; offset < bytes; offset += cache_line_size) {
#if defined(__x86_64__)
    asm volatile("prefetchw %0" : : "m"(first[offset]));
#else
    __builtin_prefetch(first + offset, 1, 3);
#endif
  }
}

}  // namespace tachi_trace::detail
