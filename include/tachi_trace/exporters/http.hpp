// What the HTTP exporters (OTLP, Zipkin, Jaeger) share: the encoder interface, the options a
// program or a test may set beyond the OTEL_* settings, and where they report problems.
//
//   tachi_trace::HttpExporterOptions options;
//   options.diagnostics = [](std::string_view message) { my_log.warn(message); };
//   auto exporter = tachi_trace::make_otlp_exporter(config->otlp(), options);
//
// Each exporter encodes a batch into one request body, splitting it into several requests when
// the body would be over `max_request_body_bytes` (64 MiB, the OTLP recommendation), and sends it
// through an HttpTransport (transport.hpp), within the export timeout. Its results feed the
// pipeline's counters: spans the backend accepted are exported; spans it refused, or that could
// not be delivered before the deadline, are dropped, with the reason. Each distinct reason is
// reported to the diagnostics sink when first seen and then at most once a minute, with how often
// it recurred; header values never appear in it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tachi_trace/log_level.hpp"
#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/transport.hpp"

namespace tachi_trace {

/// Receives one message per problem worth telling a person about.
using DiagnosticSink = std::function<void(std::string_view message)>;
/// Writes each message as one line on standard error, after "tachi_trace: ".
DiagnosticSink standard_error_diagnostics();

struct HttpExporterOptions {
  DiagnosticSink diagnostics;  // null: standard_error_diagnostics()
  // The least severe message given to `diagnostics`: a failed or partly rejected export is an
  // error, a backend's warning about accepted spans warn, exports succeeding again after
  // failures info, and a line per export debug. OTEL_LOG_LEVEL; off for none.
  LogLevel diagnostics_level = LogLevel::info;
  // A problem seen again is reported at most once in this period, with how often it recurred.
  std::chrono::seconds repeat_diagnostics_after{60};
  std::shared_ptr<TransportClock> clock;  // null: the system clocks
  RetryPolicy retry;
  std::size_t max_request_body_bytes = std::size_t{64} << 20;  // at most 2 GiB
  std::size_t max_response_body_bytes = std::size_t{4} << 20;
};

/// Turns spans into a request body. An encoder keeps its buffers from one call to the next, so
/// reuse one; it is not thread-safe.
class SpanEncoder {
 public:
  virtual ~SpanEncoder() = default;
  virtual std::string_view content_type() const noexcept = 0;
  /// Replaces `out` with the body for `spans`. Returns false, when the body would be longer than
  /// `limit` bytes, leaving `out` unspecified. Throws only std::bad_alloc.
  virtual bool encode(const Resource& resource, std::span<const SpanData* const> spans,
                      std::string& out, std::size_t limit = static_cast<std::size_t>(-1)) = 0;
};

}  // namespace tachi_trace
