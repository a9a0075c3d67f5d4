// Small JSON text helpers shared by the encoders that write JSON by hand (for speed).
#pragma once

#include <string>
#include <string_view>

namespace tachi_trace::detail {

/// Length of the valid UTF-8 sequence that starts `text` (not empty), or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view text);
/// Appends `text` as a JSON string literal (quoted, escaped; invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);
/// Shortest text that reads back as the same double; "NaN", "Infinity", "-Infinity" for those.
std::string format_double(double value);

}  // namespace tachi_trace::detail
