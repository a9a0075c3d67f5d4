// Helpers shared by the fuzz targets: the input as text, headers from lines, invariant checks.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachi_fuzz {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// An invariant of the parser: breaking it is a finding, like a crash.
inline void expect(bool condition) {
  if (!condition) std::abort();
}

/// An RFC 9110 token: what a field name must be.
inline bool is_field_name(std::string_view name) {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  if (name.empty()) return false;
  for (char character : name) {
    const bool alphanumeric = (character >= 'a' && character <= 'z') ||
                              (character >= 'A' && character <= 'Z') ||
                              (character >= '0' && character <= '9');
    if (!alphanumeric && symbols.find(character) == std::string_view::npos) return false;
  }
  return true;
}

/// Visible ASCII and spaces only: no CR, LF or other control character that could end a field.
inline bool is_field_value(std::string_view value) {
  for (char character : value)
    if (character < 0x20 || character > 0x7e) return false;
  return true;
}

/// Splits `text` at '\n' into at most `limit` pieces (the last one keeps the rest).
inline std::vector<std::string_view> lines(std::string_view text, std::size_t limit) {
  std::vector<std::string_view> pieces;
  while (pieces.size() + 1 < limit) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) break;
    pieces.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  pieces.push_back(text);
  return pieces;
}

/// Lines of "name: value" (or "name:value") as headers; a line without ':' is a name with an
/// empty value.
inline Headers header_lines(std::string_view text) {
  Headers headers;
  for (std::string_view line : lines(text, 64)) {
    const auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(name, value);
  }
  return headers;
}

}  // namespace tachi_fuzz
