// Log correlation: trace_id/span_id fields, the log line format, and lines written inside tasks.
#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/asio_support.hpp"
#include "tachi_trace/log.hpp"

using namespace tachi_trace;
using tachi_trace::testing::MemoryProvider;
namespace net = boost::asio;

namespace {

SpanContext known_context() {
  return SpanContext{*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                     *SpanId::from_hex("00f067aa0ba902b7"),
                     TraceFlags(1),
                     {},
                     false};
}

/// A value whose streaming is counted, to see whether a disabled line formats its parts.
struct CountedPart {
  std::atomic<int>* streamed;
};
std::ostream& operator<<(std::ostream& stream, const CountedPart& part) {
  ++*part.streamed;
  return stream << "counted";
}

}  // namespace

TEST_CASE("trace_fields renders the ids of a context, all-zero without a span") {
  CHECK(TraceFields(known_context()).view() ==
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7");
  CHECK(trace_fields().view() ==
        "trace_id=00000000000000000000000000000000 span_id=0000000000000000");

  MemoryProvider memory;
  auto span = memory.tracer.start_span("current");
  auto scope = span.activate();
  std::ostringstream stream;
  stream << trace_fields();
  CHECK(stream.str() == "trace_id=" + span.context().trace_id.to_hex() +
                            " span_id=" + span.context().span_id.to_hex());
}

TEST_CASE("format_log_line writes UTC time, level, ids and message on one line") {
  LogRecord record;
  record.time = SystemTime(std::chrono::seconds(1714555812) + std::chrono::microseconds(345678));
  record.level = LogLevel::warn;
  record.context = known_context();
  record.message = "quota low";
  CHECK(format_log_line(record) ==
        "2024-05-01T09:30:12.345678Z warn trace_id=4bf92f3577b34da6a3ce929d0e0e4736 "
        "span_id=00f067aa0ba902b7 quota low");
}

TEST_CASE("lines logged inside tasks on several threads carry their own task's ids") {
  MemoryProvider memory;
  net::io_context io;
  std::ostringstream output;
  Logger logger(make_stream_log_sink(output), LogLevel::debug);
  constexpr int task_count = 200;
  std::vector<SpanContext> contexts(task_count);
  auto task = [&](int index) -> net::awaitable<void> {
    auto span = memory.tracer.start_span("task", {.parent = Context()});
    contexts[index] = span.context();
    auto scope = span.activate();
    for (int line = 0; line < 3; ++line) {
      co_await testing::sleep_for(std::chrono::microseconds(100 * ((index + line) % 4)));
      TACHI_TRACE_LOG_TO(logger, info, "task=", index, " line=", line);
    }
  };
  for (int index = 0; index < task_count; ++index)
    tachi_trace::co_spawn(io, task(index), net::detached);
  testing::run_on_threads(io, 4);

  std::regex line_pattern(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z info trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16}) task=(\d+) line=(\d)$)");
  std::istringstream lines(output.str());
  std::string line;
  int parsed = 0;
  int mismatched = 0;
  while (std::getline(lines, line)) {
    std::smatch match;
    REQUIRE(std::regex_match(line, match, line_pattern));
    ++parsed;
    const SpanContext& expected = contexts.at(std::stoi(match[3]));
    if (match[1] != expected.trace_id.to_hex() || match[2] != expected.span_id.to_hex())
      ++mismatched;
  }
  CHECK(parsed == task_count * 3);
  CHECK(mismatched == 0);
}

TEST_CASE("a disabled level writes nothing and does not format its parts") {
  std::ostringstream output;
  Logger logger(make_stream_log_sink(output), LogLevel::info);
  std::atomic<int> streamed{0};
  TACHI_TRACE_LOG_TO(logger, debug, "hidden ", CountedPart{&streamed});
  CHECK(output.str().empty());
  CHECK(streamed == 0);
  TACHI_TRACE_LOG_TO(logger, error, "shown ", CountedPart{&streamed});
  CHECK(streamed == 1);
  CHECK(output.str().find(" error trace_id=") != std::string::npos);
  CHECK(output.str().ends_with("shown counted\n"));
  logger.set_minimum_level(LogLevel::off);
  TACHI_TRACE_LOG_TO(logger, fatal, "not even fatal");
  CHECK(output.str().find("not even fatal") == std::string::npos);
}

TEST_CASE("a callback sink receives records; a throwing sink loses lines and counts them") {
  std::vector<std::string> messages;
  std::vector<int> lines;
  Logger logger([&](const LogRecord& record) {
    messages.emplace_back(record.message);
    lines.push_back(record.line);
  });
  TACHI_TRACE_LOG_TO(logger, info, "first ", 1);
  REQUIRE(messages == std::vector<std::string>{"first 1"});
  CHECK(lines[0] == __LINE__ - 2);

  logger.set_sink([](const LogRecord&) { throw std::runtime_error("disk full"); });
  TACHI_TRACE_LOG_TO(logger, info, "lost");
  CHECK(logger.lines_lost() == 1);
  CHECK(messages.size() == 1);
}

TEST_CASE("TACHI_TRACE_LOG writes through the default logger, whose sink can be replaced") {
  std::ostringstream output;
  default_logger().set_sink(make_stream_log_sink(output));
  MemoryProvider memory;
  auto span = memory.tracer.start_span("request");
  {
    auto scope = span.activate();
    TACHI_TRACE_LOG(info, "handled ", "/api/specs");
  }
  default_logger().set_sink(make_stream_log_sink(std::clog));
  CHECK(output.str().find(std::string(TraceFields(span.context()).view()) +
                          " handled /api/specs\n") != std::string::npos);
}
