// The exporter shape every HTTP exporter shares: encode a batch (split when over the request
// limit), post it through an HttpTransport within the deadline, turn the outcome into an
// ExportResult and report each distinct problem once. Private.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace::detail {

/// Forwards a message to the sink the first time its key is seen; bounded.
class DistinctReasons {
 public:
  DistinctReasons(DiagnosticSink sink, LogLevel least_level);
  /// Nothing when `level` is less severe than the least level.
  void report(LogLevel level, const std::string& key, std::string_view message);

 private:
  static constexpr std::size_t max_keys = 64;
  DiagnosticSink sink_;
  LogLevel least_level_;
  std::mutex mutex_;
  std::set<std::string> seen_;
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
  void release_memory();

  const std::string name_;
  const std::unique_ptr<SpanEncoder> encoder_;
  const std::unique_ptr<HttpTransport> transport_;
  const std::chrono::milliseconds timeout_;
  const std::size_t max_request_body_bytes_;
  const std::shared_ptr<TransportClock> clock_;
  DistinctReasons reasons_;
  std::string body_;
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
