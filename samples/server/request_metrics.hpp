// The sample's metrics: a request-duration histogram whose buckets keep exemplars pointing at the
// traces that landed in them, and the tracer's own counters, served on GET /metrics.
//
//   RequestMetrics metrics(config.exemplar_filter());         // registers the histogram
//   metrics.observe("GET", "/api/specs/{id}", 200, 0.0042);  // inside the SERVER span
//   auto answer = metrics.exposition(accept_header, provider.counters());
//
// `observe` is called while the request's SERVER span is current, so a sampled request becomes
// its bucket's exemplar (trace_id and span_id), as OTEL_METRICS_EXEMPLAR_FILTER=trace_based (the
// default) asks; always_on makes every request eligible, always_off none. The series are labelled
// by method, route template and status code; methods outside the known set are `_OTHER` and
// requests matching no route are `unmatched`, so the number of series stays bounded whatever
// clients send.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tachi_trace/metrics.hpp"
#include "tachi_trace/pipeline.hpp"

namespace tachi_sample {

struct MetricsAnswer {
  std::string content_type;
  std::string body;
};

class RequestMetrics {
 public:
  static constexpr std::string_view duration_name = "http_server_request_duration_seconds";

  explicit RequestMetrics(
      tachi_trace::ExemplarFilter exemplar_filter = tachi_trace::ExemplarFilter::trace_based);

  /// Records one request; `route` is a template ("/api/specs/{id}") or "unmatched".
  void observe(std::string_view method, std::string_view route, unsigned status, double seconds);
  /// Prometheus text, or OpenMetrics (with exemplars) when `accept_header` asks for it.
  MetricsAnswer exposition(std::string_view accept_header,
                           const tachi_trace::PipelineCounters& counters) const;

 private:
  tachi_trace::MetricRegistry registry_;
  std::shared_ptr<tachi_trace::HistogramFamily> durations_;
};

}  // namespace tachi_sample
