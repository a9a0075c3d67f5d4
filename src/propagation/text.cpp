#include "text.hpp"

#include <algorithm>
#include <array>

namespace tachi_trace::propagation {

namespace {

bool is_white_space(char character) {
  return character == ' ' || character == '\t';
}

bool is_token_character(char character) {
  if ((character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
      (character >= '0' && character <= '9'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(character) != std::string_view::npos;
}

// Table 3-7 of the Unicode standard: the length of a well-formed sequence by its lead byte, and
// the range its second byte must fall in (the later bytes are always 80..BF).
struct SequenceRule {
  std::size_t length;
  unsigned char second_low;
  unsigned char second_high;
};

SequenceRule sequence_rule(unsigned char lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (lead >= 0xc2 && lead <= 0xdf) return {2, 0x80, 0xbf};
  if (lead == 0xe0) return {3, 0xa0, 0xbf};
  if (lead == 0xed) return {3, 0x80, 0x9f};
  if (lead >= 0xe1 && lead <= 0xef) return {3, 0x80, 0xbf};
  if (lead == 0xf0) return {4, 0x90, 0xbf};
  if (lead >= 0xf1 && lead <= 0xf3) return {4, 0x80, 0xbf};
  if (lead == 0xf4) return {4, 0x80, 0x8f};
  return {0, 0, 0};
}

// How many bytes at the start of `bytes` belong to one sequence, and whether it is well formed.
// An ill-formed one counts its maximal subpart, which becomes one U+FFFD (Unicode's practice).
std::pair<std::size_t, bool> next_sequence(std::string_view bytes) {
  const SequenceRule rule = sequence_rule(static_cast<unsigned char>(bytes.front()));
  if (rule.length == 0) return {1, false};
  std::size_t matched = 1;
  for (; matched < rule.length && matched < bytes.size(); ++matched) {
    const auto byte = static_cast<unsigned char>(bytes[matched]);
    const unsigned char low = matched == 1 ? rule.second_low : 0x80;
    const unsigned char high = matched == 1 ? rule.second_high : 0xbf;
    if (byte < low || byte > high) break;
  }
  return {matched, matched == rule.length};
}

std::string replace_invalid_utf8(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  while (!bytes.empty()) {
    const auto [length, well_formed] = next_sequence(bytes);
    if (well_formed)
      text.append(bytes.substr(0, length));
    else
      text.append("\xef\xbf\xbd");
    bytes.remove_prefix(length);
  }
  return text;
}

}  // namespace

std::string_view trim_optional_white_space(std::string_view text) noexcept {
  while (!text.empty() && is_white_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_white_space(text.back()))
    text.remove_suffix(1);
  return text;
}

namespace {

// Digit values by byte, -1 for a byte that is no digit: one load per digit on the hot path.
using HexTable = std::array<std::int8_t, 256>;

constexpr HexTable make_hex_table(HexCase accepted) {
  HexTable table{};
  for (auto& value : table)
    value = -1;
  for (int digit = 0; digit < 10; ++digit)
    table['0' + digit] = static_cast<std::int8_t>(digit);
  for (int digit = 0; digit < 6; ++digit) {
    table['a' + digit] = static_cast<std::int8_t>(10 + digit);
    if (accepted == HexCase::any_case) table['A' + digit] = static_cast<std::int8_t>(10 + digit);
  }
  return table;
}

constexpr HexTable lowercase_table = make_hex_table(HexCase::lowercase_only);
constexpr HexTable any_case_table = make_hex_table(HexCase::any_case);

}  // namespace

int hex_digit_value(char digit, HexCase accepted) noexcept {
  const HexTable& table = accepted == HexCase::lowercase_only ? lowercase_table : any_case_table;
  return table[static_cast<unsigned char>(digit)];
}

bool read_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size,
              HexCase accepted) noexcept {
  if (hex.size() != 2 * size) return false;
  const HexTable& table = accepted == HexCase::lowercase_only ? lowercase_table : any_case_table;
  int invalid = 0;
  for (std::size_t index = 0; index < size; ++index) {
    const int high = table[static_cast<unsigned char>(hex[2 * index])];
    const int low = table[static_cast<unsigned char>(hex[2 * index + 1])];
    invalid |= high | low;  // negative when either is -1
    bytes[index] = static_cast<std::uint8_t>((high & 0x0f) << 4 | (low & 0x0f));
  }
  return invalid >= 0;
}

bool read_padded_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size,
                     HexCase accepted) noexcept {
  if (hex.empty() || hex.size() > 2 * size) return false;
  std::fill(bytes, bytes + size, std::uint8_t{0});
  // Digit `index` counted from the right fills the low or high half of byte size-1-index/2.
  for (std::size_t index = 0; index < hex.size(); ++index) {
    const int value = hex_digit_value(hex[hex.size() - 1 - index], accepted);
    if (value < 0) return false;
    std::uint8_t& byte = bytes[size - 1 - index / 2];
    byte = static_cast<std::uint8_t>(byte | (index % 2 == 0 ? value : value << 4));
  }
  return true;
}

bool is_token(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_character);
}

std::string percent_decode(std::string_view text, bool replace_invalid_utf8_sequences) {
  std::string bytes;
  bytes.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    const bool escape = text[index] == '%' && index + 2 < text.size();
    const int high = escape ? hex_digit_value(text[index + 1], HexCase::any_case) : -1;
    const int low = high >= 0 ? hex_digit_value(text[index + 2], HexCase::any_case) : -1;
    if (low >= 0) {
      bytes += static_cast<char>(high << 4 | low);
      index += 2;
    } else {
      bytes += text[index];
    }
  }
  return replace_invalid_utf8_sequences ? replace_invalid_utf8(bytes) : bytes;
}

std::optional<std::string> join_field_values(const std::vector<std::string_view>& values,
                                             std::size_t limit) {
  std::size_t length = values.empty() ? 0 : values.size() - 1;
  for (std::string_view value : values)
    length += value.size();
  if (length > limit) return std::nullopt;
  std::string joined;
  joined.reserve(length);
  for (std::size_t index = 0; index < values.size(); ++index) {
    if (index > 0) joined += ',';
    joined.append(values[index]);
  }
  return joined;
}

}  // namespace tachi_trace::propagation
