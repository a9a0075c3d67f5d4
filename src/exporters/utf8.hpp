// UTF-8 checks for the binary encoders: protobuf `string` fields must hold valid UTF-8 (receivers
// refuse the whole request otherwise), and Jaeger's storage expects it too. Private.
#pragma once

#include <cstddef>
#include <string_view>

namespace tachi_trace::detail {

/// True when `text` is valid UTF-8. Runs of ASCII are checked eight bytes at a time.
bool is_valid_utf8(std::string_view text) noexcept;

/// The length of `text` once every byte that does not start a valid sequence is replaced by
/// U+FFFD (three bytes).
std::size_t sanitized_utf8_length(std::string_view text) noexcept;

/// Writes that replaced form to `out` (room for `sanitized_utf8_length(text)` bytes); returns the
/// end of what was written.
char* write_sanitized_utf8(std::string_view text, char* out) noexcept;

}  // namespace tachi_trace::detail
