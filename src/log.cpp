#include "tachi_trace/log.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <ostream>

namespace tachi_trace {

namespace {

constexpr std::string_view trace_id_label = "trace_id=";
constexpr std::string_view span_id_label = " span_id=";

SystemTime system_now() noexcept {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

/// `2024-05-01T09:30:12.345678Z`
std::string format_utc(SystemTime time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  auto microseconds = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
  std::time_t whole_seconds = static_cast<std::time_t>(seconds.count());
  std::tm calendar{};
  gmtime_r(&whole_seconds, &calendar);
  char text[40];
  std::size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &calendar);
  std::snprintf(text + length, sizeof(text) - length, ".%06dZ",
                static_cast<int>(microseconds.count()));
  return text;
}

}  // namespace

TraceFields::TraceFields(const SpanContext& context) noexcept {
  char* out = text_;
  std::memcpy(out, trace_id_label.data(), trace_id_label.size());
  out += trace_id_label.size();
  context.trace_id.write_hex(out);
  out += TraceId::hex_length;
  std::memcpy(out, span_id_label.data(), span_id_label.size());
  out += span_id_label.size();
  context.span_id.write_hex(out);
}

std::ostream& operator<<(std::ostream& stream, const TraceFields& fields) {
  return stream << fields.view();
}

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::fatal:
      return "fatal";
    case LogLevel::off:
      return "off";
  }
  return "info";
}

std::string format_log_line(const LogRecord& record) {
  std::string line = format_utc(record.time);
  line += ' ';
  line += to_string(record.level);
  line += ' ';
  line += TraceFields(record.context).view();
  line += ' ';
  line += record.message;
  return line;
}

LogSink make_stream_log_sink(std::ostream& stream) {
  auto mutex = std::make_shared<std::mutex>();
  return [&stream, mutex](const LogRecord& record) {
    std::string line = format_log_line(record);
    line += '\n';
    std::lock_guard guard(*mutex);
    stream.write(line.data(), static_cast<std::streamsize>(line.size()));
    stream.flush();
  };
}

Logger::Logger(LogSink sink, LogLevel minimum_level)
    : minimum_level_(minimum_level), sink_(std::make_shared<const LogSink>(std::move(sink))) {}

void Logger::set_sink(LogSink sink) {
  auto replacement = std::make_shared<const LogSink>(std::move(sink));
  std::lock_guard guard(sink_mutex_);
  sink_.swap(replacement);
}

void Logger::write(LogLevel level, std::string_view message, std::string_view file,
                   int line) const noexcept {
  std::shared_ptr<const LogSink> sink;
  {
    std::lock_guard guard(sink_mutex_);
    sink = sink_;
  }
  if (!sink || !*sink) return;
  try {
    (*sink)(LogRecord{system_now(), level, current_context().span_context(), message, file, line});
  } catch (...) {
    // A logging failure must not take the request down with it.
    lines_lost_.fetch_add(1, std::memory_order_relaxed);
  }
}

Logger& default_logger() {
  static Logger logger(make_stream_log_sink(std::clog));
  return logger;
}

}  // namespace tachi_trace
