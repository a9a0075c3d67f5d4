#include "config_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace tachi_trace::detail {

std::string lower_case(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return lower;
}

std::string_view trim_white_space(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  text = trim_white_space(text);
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  text = trim_white_space(text);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    return std::nullopt;
  return value;
}

namespace {
int hex_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] != '%') {
      decoded += text[index];
      continue;
    }
    const int high = index + 1 < text.size() ? hex_value(text[index + 1]) : -1;
    const int low = index + 2 < text.size() ? hex_value(text[index + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high << 4 | low);
    index += 2;
  }
  return decoded;
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  while (true) {
    const auto comma = text.find(',');
    std::string_view item = trim_white_space(text.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

KeyValueParse parse_key_value_list(std::string_view text) {
  KeyValueParse result;
  std::size_t position = 0;
  for (std::string_view item : split_list(text)) {
    ++position;
    const auto equals = item.find('=');
    std::string_view key =
        trim_white_space(equals == std::string_view::npos ? item : item.substr(0, equals));
    if (equals == std::string_view::npos || key.empty()) {
      result.malformed.push_back(position);
      continue;
    }
    auto value = percent_decode(trim_white_space(item.substr(equals + 1)));
    if (!value) {
      result.malformed.push_back(position);
      continue;
    }
    result.entries.emplace_back(std::string(key), std::move(*value));
  }
  return result;
}

}  // namespace tachi_trace::detail
