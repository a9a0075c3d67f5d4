// The traceparent codec without allocation, for the propagators' hot path.
#pragma once

#include <optional>
#include <string_view>

#include "tachi_trace/ids.hpp"

namespace tachi_trace::propagation {

/// What `parse_traceparent` accepts, without the error message.
std::optional<SpanContext> read_traceparent(std::string_view value) noexcept;
/// Writes the 55 characters of a version-00 traceparent to `out`.
void write_traceparent(const SpanContext& context, char* out) noexcept;

}  // namespace tachi_trace::propagation
