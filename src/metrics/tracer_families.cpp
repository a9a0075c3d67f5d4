#include <map>

#include "tachi_trace/metrics.hpp"

namespace tachi_trace {

namespace {

MetricFamily single_value(std::string name, std::string help, MetricType type,
                          std::uint64_t value) {
  MetricPoint point;
  point.value = static_cast<double>(value);
  return MetricFamily{std::move(name), std::move(help), {}, type, {std::move(point)}};
}

/// Exporter names as label values, unique: a second "console" becomes "console_2".
std::vector<std::string> exporter_labels(const std::vector<ExporterCounters>& exporters) {
  std::map<std::string, int> seen;
  std::vector<std::string> labels;
  for (const auto& exporter : exporters) {
    const int occurrence = ++seen[exporter.name];
    labels.push_back(occurrence == 1 ? exporter.name
                                     : exporter.name + "_" + std::to_string(occurrence));
  }
  return labels;
}

MetricFamily per_exporter(std::string name, std::string help, const PipelineCounters& counters,
                          std::uint64_t ExporterCounters::*field) {
  MetricFamily family{std::move(name), std::move(help), {}, MetricType::counter, {}};
  const auto labels = exporter_labels(counters.exporters);
  for (std::size_t index = 0; index < counters.exporters.size(); ++index) {
    MetricPoint point;
    point.labels.push_back({"exporter", labels[index]});
    point.value = static_cast<double>(counters.exporters[index].*field);
    family.points.push_back(std::move(point));
  }
  return family;
}

}  // namespace

void append_tracer_metric_families(std::vector<MetricFamily>& families,
                                   const PipelineCounters& counters) {
  using enum MetricType;
  families.push_back(single_value("tachi_trace_spans_started", "Spans started, recording or not",
                                  counter, counters.spans_started));
  families.push_back(single_value("tachi_trace_spans_sampled_out",
                                  "Spans started but not recorded (sampled out)", counter,
                                  counters.spans_sampled_out));
  families.push_back(single_value("tachi_trace_spans_ended",
                                  "Sampled spans ended and handed to the exporters", counter,
                                  counters.spans_ended));
  families.push_back(single_value(
      "tachi_trace_spans_dropped_before_export",
      "Spans dropped before reaching an exporter queue (buffer full or after shutdown)", counter,
      counters.spans_dropped_before_export));
  families.push_back(single_value("tachi_trace_spans_queued",
                                  "Ended spans waiting for the collector thread now", gauge,
                                  counters.spans_queued));
  families.push_back(per_exporter("tachi_trace_exporter_spans_exported",
                                  "Spans accepted by the exporter's backend", counters,
                                  &ExporterCounters::exported));
  families.push_back(per_exporter("tachi_trace_exporter_spans_dropped",
                                  "Spans the exporter lost: queue full, export failed or rejected",
                                  counters, &ExporterCounters::dropped));
  families.push_back(per_exporter("tachi_trace_exporter_failed_exports",
                                  "Export calls that failed, each dropping its batch", counters,
                                  &ExporterCounters::failed_exports));
}

}  // namespace tachi_trace
