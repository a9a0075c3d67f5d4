// Log correlation: every log line written inside a task carries the ids of its current span.
//
//   TACHI_TRACE_LOG(info, "served ", path, " status=", status);
//   // 2024-05-01T09:30:12.345678Z info trace_id=4bf92f3577b34da6a3ce929d0e0e4736
//   //   span_id=00f067aa0ba902b7 served /api/specs status=200        (one line)
//
// `trace_fields()` formats `trace_id=<32 hex> span_id=<16 hex>` for the current context (the
// running task's, else the thread's) into a fixed-size buffer: no allocation, usable with any
// logging library (`logger << tachi_trace::trace_fields()`). Without a current span both ids are
// rendered all-zero (`trace_id=00000000000000000000000000000000 span_id=0000000000000000`), the
// W3C "invalid" id, so every line has the same fields at the same place and a parser never has to
// guess.
//
// `TACHI_TRACE_LOG(level, parts...)` writes one line through the default logger; parts are
// streamed with `operator<<`, and only when the level is enabled. `TACHI_TRACE_LOG_TO(logger, ...)`
// writes through a logger of your own. A `Logger` sends each `LogRecord` to an injectable sink: a
// callback, or `make_stream_log_sink(stream)` which writes whole lines under a lock so lines from
// several threads never interleave. The default logger writes to std::clog at level info and above.
// Loggers are thread-safe; the sink is called on the thread that logs, inside its task.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include "tachi_trace/context.hpp"
#include "tachi_trace/ids.hpp"
#include "tachi_trace/log_level.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

/// `trace_id=<32 hex> span_id=<16 hex>`, held in place.
class TraceFields {
 public:
  static constexpr std::size_t length = 9 + TraceId::hex_length + 9 + SpanId::hex_length;

  explicit TraceFields(const SpanContext& context) noexcept;

  std::string_view view() const noexcept { return {text_, length}; }
  std::string to_string() const { return std::string(view()); }

 private:
  char text_[length];
};

/// The fields for the current context.
inline TraceFields trace_fields() noexcept {
  return TraceFields(current_context().span_context());
}
std::ostream& operator<<(std::ostream& stream, const TraceFields& fields);

/// One log line before formatting. The views are valid during the sink call only.
struct LogRecord {
  SystemTime time;
  LogLevel level = LogLevel::info;
  SpanContext context;  // the current span's, invalid when there is none
  std::string_view message;
  std::string_view file;
  int line = 0;
};

/// `<UTC time, microseconds> <level> trace_id=... span_id=... <message>`, without a newline.
std::string format_log_line(const LogRecord& record);

using LogSink = std::function<void(const LogRecord&)>;

/// A sink writing `format_log_line` plus '\n' to `stream`, one whole line at a time. The stream
/// must outlive every logger using the sink.
LogSink make_stream_log_sink(std::ostream& stream);

class Logger {
 public:
  explicit Logger(LogSink sink, LogLevel minimum_level = LogLevel::info);

  bool enabled(LogLevel level) const noexcept {
    return level >= minimum_level_.load(std::memory_order_relaxed) && level != LogLevel::off;
  }
  void set_minimum_level(LogLevel level) noexcept {
    minimum_level_.store(level, std::memory_order_relaxed);
  }
  /// Replaces the sink; lines being written finish on the old one.
  void set_sink(LogSink sink);

  /// Writes one line with the current context's ids. Never throws: a line whose sink throws is
  /// lost and counted in `lines_lost()`.
  void write(LogLevel level, std::string_view message, std::string_view file = {},
             int line = 0) const noexcept;
  std::uint64_t lines_lost() const noexcept { return lines_lost_.load(std::memory_order_relaxed); }

 private:
  std::atomic<LogLevel> minimum_level_;
  mutable std::atomic<std::uint64_t> lines_lost_{0};
  mutable std::mutex sink_mutex_;
  std::shared_ptr<const LogSink> sink_;
};

/// The logger TACHI_TRACE_LOG writes to.
Logger& default_logger();

namespace detail {
template <typename... Parts>
std::string concatenate_log_parts(const Parts&... parts) {
  std::ostringstream stream;
  (stream << ... << parts);
  return std::move(stream).str();
}
}  // namespace detail

}  // namespace tachi_trace

/// Writes a line to `logger` at `level` (trace, debug, info, warn, error, fatal) when enabled.
#define TACHI_TRACE_LOG_TO(logger, level, ...)                                             \
  do {                                                                                     \
    const ::tachi_trace::Logger& tachi_trace_logger_ = (logger);                           \
    if (tachi_trace_logger_.enabled(::tachi_trace::LogLevel::level))                       \
      tachi_trace_logger_.write(::tachi_trace::LogLevel::level,                            \
                                ::tachi_trace::detail::concatenate_log_parts(__VA_ARGS__), \
                                __FILE__, __LINE__);                                       \
  } while (false)

/// Writes a line to the default logger.
#define TACHI_TRACE_LOG(level, ...) \
  TACHI_TRACE_LOG_TO(::tachi_trace::default_logger(), level, __VA_ARGS__)
