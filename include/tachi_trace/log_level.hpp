// How severe a message is: for loggers (log.hpp) and for the library's own messages, whose least
// severe level shown is OTEL_LOG_LEVEL (FinalizedTracingConfig::log_level).
#pragma once

#include <cstdint>
#include <string_view>

namespace tachi_trace {

/// From least to most severe; `off` as a minimum level shows nothing.
enum class LogLevel : std::uint8_t { trace, debug, info, warn, error, fatal, off };
std::string_view to_string(LogLevel level) noexcept;

}  // namespace tachi_trace
