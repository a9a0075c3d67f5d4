// The exporter shape every HTTP exporter shares: encode a batch (split when over the request
// limit), post it through an HttpTransport within the deadline, turn the outcome into an
// ExportResult and report each distinct problem once. Private.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace::detail {

/// Tells the sink about export problems without flooding it: a problem (by its key) the first
/// time it happens, then again at most once per quiet period, saying how often it recurred in
/// between. So an outage next week is reported as surely as the first one. Bounded in keys.
class ReasonReporter {
 public:
  ReasonReporter(DiagnosticSink sink, LogLevel least_level, std::chrono::seconds quiet_period,
                 std::shared_ptr<TransportClock> clock);
  /// Whether a message at `level` reaches the sink at all.
  bool reports(LogLevel level) const noexcept { return level >= least_level_; }
  void report(LogLevel level, const std::string& key, std::string_view message);
  /// Every time, unthrottled: for the per-export debug lines.
  void report_each(LogLevel level, std::string_view message);

 private:
  struct Seen {
    std::chrono::steady_clock::time_point reported;
    std::uint64_t since = 0;  // occurrences not reported since then
  };
  static constexpr std::size_t max_keys = 64;
  void forget_quiet_keys(std::chrono::steady_clock::time_point now);
  void deliver(std::string_view message) noexcept;

  DiagnosticSink sink_;
  const LogLevel least_level_;
  const std::chrono::seconds quiet_period_;
  const std::shared_ptr<TransportClock> clock_;
  std::mutex mutex_;
  std::map<std::string, Seen> seen_;
  bool told_of_overflow_ = false;
};

/// What a delivered answer says about the spans it carried.
struct Delivery {
  std::uint64_t rejected_spans = 0;
  std::string message;  // why they were rejected, or a warning; empty when all is well
};

class HttpSpanExporter : public SpanExporter {
 public:
  struct Parts {
    std::string name;
    std::unique_ptr<SpanEncoder> encoder;
    std::unique_ptr<HttpTransport> transport;
    std::chrono::milliseconds timeout{10000};  // 0: only the batch's deadline
    HttpExporterOptions options;
  };

  explicit HttpSpanExporter(Parts parts);

  std::string_view name() const noexcept override { return name_; }
  ExportResult export_spans(const ExportBatch& batch) noexcept override;
  void shutdown(Deadline deadline) noexcept override;
  void cancel() noexcept override;

 protected:
  /// Reads a 2xx answer (OTLP: partial success). By default everything was accepted.
  virtual Delivery read_delivery(const HttpResponse& response, std::size_t spans);
  /// Detail from a failed answer's body, for the reason (OTLP: google.rpc.Status.message).
  virtual std::string read_failure_detail(const HttpResponse& response);

 private:
  struct Tally;
  void send(const Resource& resource, std::span<const SpanData* const> spans,
            std::chrono::steady_clock::time_point deadline, Tally& tally);
  void post(std::span<const SpanData* const> spans, std::chrono::steady_clock::time_point deadline,
            Tally& tally);
  void split(const Resource& resource, std::span<const SpanData* const> spans,
             std::chrono::steady_clock::time_point deadline, Tally& tally);
  ExportResult conclude(const Tally& tally, std::size_t spans);
  std::chrono::steady_clock::time_point deadline_for(Deadline batch_deadline) const;
  /// The debug line for one export, and the notice that exports succeed again after failures.
  void tell_outcome(const Tally& tally, std::size_t spans, bool delivered,
                    std::chrono::steady_clock::time_point started);

  const std::string name_;
  const std::unique_ptr<SpanEncoder> encoder_;
  const std::unique_ptr<HttpTransport> transport_;
  const std::chrono::milliseconds timeout_;
  const std::size_t max_request_body_bytes_;
  const std::shared_ptr<TransportClock> clock_;
  ReasonReporter reasons_;
  std::string body_;
  std::uint64_t failed_exports_in_a_row_ = 0;
  std::uint64_t spans_lost_in_a_row_ = 0;
};

/// Server text made safe for a one-line diagnostic: control characters replaced, at most
/// `limit` bytes.
std::string printable_excerpt(std::string_view text, std::size_t limit = 200);

/// Where an exporter sends: what its settings (OTLP, Zipkin or Jaeger) say of the connection.
struct ExporterEndpoint {
  std::string_view url;
  TlsSettings tls;
  std::optional<HttpProxy> proxy;

  template <typename Settings>
  static ExporterEndpoint of(const Settings& settings) {
    return {settings.endpoint,
            {settings.certificate_file, settings.client_certificate_file, settings.client_key_file},
            settings.proxy};
  }
};

/// Transport settings for an exporter: the endpoint and the options' retry, clock and limits.
Expected<std::unique_ptr<HttpTransport>> make_exporter_transport(std::string_view exporter,
                                                                 ExporterEndpoint endpoint,
                                                                 const HttpExporterOptions& options,
                                                                 HttpHeaders headers = {},
                                                                 bool gzip = false);

}  // namespace tachi_trace::detail
