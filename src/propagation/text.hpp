// Text helpers shared by the header codecs: white space, hex, HTTP tokens, percent-encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/ids.hpp"

namespace tachi_trace::propagation {

/// Removes spaces and horizontal tabs (HTTP's optional white space) from both ends.
std::string_view trim_optional_white_space(std::string_view text) noexcept;

enum class HexCase : std::uint8_t { lowercase_only, any_case };
/// The value of one hex digit, or -1.
int hex_digit_value(char digit, HexCase accepted) noexcept;

/// Reads exactly 2 * size hex digits into `bytes`. False on any other input (`bytes` then holds
/// garbage).
bool read_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size,
              HexCase accepted) noexcept;

template <typename Id>
std::optional<Id> parse_id(std::string_view hex, HexCase accepted) noexcept {
  typename Id::Bytes bytes;
  if (!read_hex(hex, bytes.data(), bytes.size(), accepted)) return std::nullopt;
  return Id(bytes);
}

/// Reads 1 to 2 * size hex digits as a big-endian number, padding with zeros on the left (Jaeger
/// ids omit leading zeros, B3 has 64-bit trace ids). False on any other input.
bool read_padded_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size,
                     HexCase accepted) noexcept;

template <typename Id>
std::optional<Id> parse_padded_id(std::string_view hex, HexCase accepted) noexcept {
  typename Id::Bytes bytes{};
  if (!read_padded_hex(hex, bytes.data(), bytes.size(), accepted)) return std::nullopt;
  return Id(bytes);
}

/// RFC 9110 token: 1*tchar.
bool is_token(std::string_view text) noexcept;

/// Decodes %XX escapes. A '%' not followed by two hex digits stays as it is. With
/// `replace_invalid_utf8`, byte sequences that are not UTF-8 become U+FFFD, as W3C Baggage asks.
std::string percent_decode(std::string_view text, bool replace_invalid_utf8);

/// Appends `text` with every byte for which `keep` is false written as %XX (uppercase hex).
template <typename Keep>
void append_percent_encoded(std::string& out, std::string_view text, Keep keep) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (keep(byte)) {
      out += character;
    } else {
      out += '%';
      out += digits[byte >> 4];
      out += digits[byte & 0x0f];
    }
  }
}

/// The values of a repeated field joined as one (RFC 9110 field order), or nullopt when together
/// they exceed `limit` characters.
std::optional<std::string> join_field_values(const std::vector<std::string_view>& values,
                                             std::size_t limit);

/// Calls `visit(item)` for each `separator`-separated item of `list`, white space around items
/// removed.
template <typename Visit>
void for_each_list_item(std::string_view list, char separator, Visit visit) {
  while (true) {
    const auto end = list.find(separator);
    visit(trim_optional_white_space(list.substr(0, end)));
    if (end == std::string_view::npos) return;
    list.remove_prefix(end + 1);
  }
}

}  // namespace tachi_trace::propagation
