#include "json_text.hpp"

#include <charconv>
#include <cmath>

namespace tachi_trace::detail {

std::size_t utf8_sequence_length(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
  if (length == 0 || length > text.size()) return 0;
  for (std::size_t index = 1; index < length; ++index)
    if ((static_cast<unsigned char>(text[index]) & 0xC0) != 0x80) return 0;
  if (length == 2 && lead < 0xC2) return 0;  // overlong
  if (length == 3) {
    const auto second = static_cast<unsigned char>(text[1]);
    if (lead == 0xE0 && second < 0xA0) return 0;   // overlong
    if (lead == 0xED && second >= 0xA0) return 0;  // surrogate
  }
  if (length == 4) {
    const auto second = static_cast<unsigned char>(text[1]);
    if (lead == 0xF0 && second < 0x90) return 0;                    // overlong
    if (lead > 0xF4 || (lead == 0xF4 && second >= 0x90)) return 0;  // above U+10FFFF
  }
  return length;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  out += '"';
  while (!text.empty()) {
    const char character = text[0];
    const auto byte = static_cast<unsigned char>(character);
    if (byte >= 0x80) {
      std::size_t length = utf8_sequence_length(text);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        text.remove_prefix(1);
      } else {
        out.append(text.substr(0, length));
        text.remove_prefix(length);
      }
      continue;
    }
    switch (character) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += hex_digits[byte >> 4];
          out += hex_digits[byte & 0xF];
        } else {
          out += character;
        }
    }
    text.remove_prefix(1);
  }
  out += '"';
}

std::string format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace tachi_trace::detail
