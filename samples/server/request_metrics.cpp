#include "request_metrics.hpp"

#include <array>
#include <stdexcept>
#include <vector>

namespace tachi_sample {

namespace {

/// From half a millisecond (a cached lookup) to ten seconds (a slow model).
std::vector<double> duration_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

/// The method as a label: one of the known methods, else "_OTHER" (bounded cardinality).
std::string_view method_label(std::string_view method) noexcept {
  static constexpr std::array<std::string_view, 9> known = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view candidate : known)
    if (candidate == method) return candidate;
  return "_OTHER";
}

}  // namespace

RequestMetrics::RequestMetrics(tachi_trace::ExemplarFilter exemplar_filter)
    : registry_(exemplar_filter) {
  tachi_trace::MetricOptions options;
  options.name = std::string(duration_name);
  options.help = "Time from reading a request to having its response ready";
  options.unit = "seconds";
  options.label_names = {"http_request_method", "http_route", "http_response_status_code"};
  auto family = registry_.histogram(std::move(options), duration_bounds());
  // The options above are constants: a failure is a programming error, found by any test.
  if (!family) throw std::logic_error(family.error().message);
  durations_ = std::move(*family);
}

void RequestMetrics::observe(std::string_view method, std::string_view route, unsigned status,
                             double seconds) {
  const std::string status_text = std::to_string(status);
  const std::array<std::string_view, 3> labels = {method_label(method), route, status_text};
  durations_->with_labels(std::span<const std::string_view>(labels)).observe(seconds);
}

MetricsAnswer RequestMetrics::exposition(std::string_view accept_header,
                                         const tachi_trace::PipelineCounters& counters) const {
  const auto format = tachi_trace::choose_exposition_format(accept_header);
  auto families = registry_.collect();
  tachi_trace::append_tracer_metric_families(families, counters);
  return {std::string(tachi_trace::content_type(format)),
          tachi_trace::format_metrics(format, families)};
}

}  // namespace tachi_sample
