#include "utf8.hpp"

#include <cstdint>
#include <cstring>

#include "../json_text.hpp"

namespace tachi_trace::detail {

namespace {

constexpr char replacement[] = "\xEF\xBF\xBD";

// Length of the ASCII prefix of `text`.
std::size_t ascii_prefix(std::string_view text) noexcept {
  std::size_t index = 0;
  for (; index + 8 <= text.size(); index += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + index, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (index < text.size() && static_cast<unsigned char>(text[index]) < 0x80)
    ++index;
  return index;
}

}  // namespace

bool is_valid_utf8_from_non_ascii(std::string_view text) noexcept {
  while (true) {
    text.remove_prefix(ascii_prefix(text));
    if (text.empty()) return true;
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
}

std::size_t sanitized_utf8_length(std::string_view text) noexcept {
  if (is_valid_utf8(text)) return text.size();
  std::size_t total = 0;
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    total += length == 0 ? sizeof replacement - 1 : length;
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return total;
}

char* write_sanitized_utf8(std::string_view text, char* out) noexcept {
  if (is_valid_utf8(text)) {
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    return out + text.size();
  }
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      std::memcpy(out, replacement, sizeof replacement - 1);
      out += sizeof replacement - 1;
      text.remove_prefix(1);
    } else {
      std::memcpy(out, text.data(), length);
      out += length;
      text.remove_prefix(length);
    }
  }
  return out;
}

}  // namespace tachi_trace::detail
