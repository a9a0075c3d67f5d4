// Parsers for environment values, shared by the configuration and the sample. Private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachi_trace::detail {

std::string_view trim_white_space(std::string_view text);
/// ASCII letters in lower case; other bytes unchanged.
std::string lower_case(std::string_view text);
std::optional<std::uint64_t> parse_unsigned(std::string_view text);
std::optional<double> parse_double(std::string_view text);
/// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);
/// Splits "a, b ,c" into trimmed, non-empty items.
std::vector<std::string_view> split_list(std::string_view text);

/// key1=value1,key2=value2 with percent-encoded values. Entries that are not key=value with a
/// non-empty key, or whose value has a malformed escape, are reported in `malformed` (1-based
/// positions), not returned.
struct KeyValueParse {
  std::vector<std::pair<std::string, std::string>> entries;
  std::vector<std::size_t> malformed;
};
KeyValueParse parse_key_value_list(std::string_view text);

}  // namespace tachi_trace::detail
