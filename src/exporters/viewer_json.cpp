// JSON renderings of the trace viewer store. Times that a browser reads as numbers are offsets and
// durations in nanoseconds (well inside 2^53); absolute times are given as strings, since Unix
// nanoseconds do not fit a JavaScript number exactly.
#include <ctime>
#include <nlohmann/json.hpp>

#include "tachi_trace/exporters/viewer.hpp"

namespace tachi_trace {

namespace {

using Json = nlohmann::ordered_json;

std::string iso_time(SystemTime time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
  std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[48];
  std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%06lldZ", static_cast<long long>(micros));
  return text;
}

Json attribute_value(const AttributeValue& value) {
  return std::visit([](const auto& alternative) { return Json(alternative); }, value.storage());
}

Json attributes_json(std::span<const Attribute> attributes) {
  Json list = Json::array();
  for (const auto& attribute : attributes)
    list.push_back({{"key", attribute.key}, {"value", attribute_value(attribute.value)}});
  return list;
}

std::int64_t nanos_between(SystemTime from, SystemTime to) {
  return (to - from).count();
}

Json summary_json(const TraceSummary& summary) {
  return Json{
      {"trace_id", summary.trace_id.to_hex()},
      {"root_name", summary.root_name},
      {"root_span_id", summary.root_span_id.is_valid() ? summary.root_span_id.to_hex() : ""},
      {"root_missing", summary.root_missing},
      {"service", summary.service},
      {"start_time", iso_time(summary.start)},
      {"start_unix_nanos", std::to_string(summary.start.time_since_epoch().count())},
      {"duration_nanos", summary.duration.count()},
      {"span_count", summary.span_count},
      {"error_count", summary.error_count},
      {"error", summary.error_count > 0},
      {"dropped_spans", summary.dropped_spans},
  };
}

Json events_json(const std::vector<Event>& events, SystemTime trace_start) {
  Json list = Json::array();
  for (const auto& event : events) {
    list.push_back({{"name", event.name},
                    {"offset_nanos", nanos_between(trace_start, event.time)},
                    {"attributes", attributes_json(event.attributes)}});
  }
  return list;
}

Json links_json(const std::vector<Link>& links) {
  Json list = Json::array();
  for (const auto& link : links) {
    list.push_back({{"trace_id", link.context.trace_id.to_hex()},
                    {"span_id", link.context.span_id.to_hex()},
                    {"attributes", attributes_json(link.attributes)}});
  }
  return list;
}

Json span_json(const ViewerSpan& span, SystemTime trace_start) {
  const SpanData& data = span.data;
  return Json{
      {"span_id", data.context.span_id.to_hex()},
      {"parent_span_id", data.has_parent() ? data.parent_span_id.to_hex() : ""},
      {"parent_is_remote", data.parent_is_remote},
      {"name", data.name},
      {"kind", to_string(data.kind)},
      {"service", span.service},
      {"scope", span.scope_name},
      {"start_time", iso_time(data.start_time)},
      {"start_offset_nanos", nanos_between(trace_start, data.start_time)},
      {"duration_nanos", data.duration().count()},
      {"status", {{"code", to_string(data.status.code)}, {"description", data.status.description}}},
      {"attributes", attributes_json(data.attributes)},
      {"events", events_json(data.events, trace_start)},
      {"links", links_json(data.links)},
      {"dropped_attributes_count", data.dropped_attributes_count},
      {"dropped_events_count", data.dropped_events_count},
      {"dropped_links_count", data.dropped_links_count},
  };
}

std::string dump(const Json& json) {
  // Span names and attributes come from outside (requests, peers): invalid UTF-8 is replaced
  // rather than failing the whole page.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string TraceViewerStore::list_json(std::size_t limit) const {
  const auto listed = summaries(limit);
  const auto counts = statistics();
  Json traces = Json::array();
  for (const auto& summary : listed)
    traces.push_back(summary_json(summary));
  return dump(Json{
      {"capacity", settings_.max_traces},
      {"max_spans_per_trace", settings_.max_spans_per_trace},
      {"traces_held", counts.traces},
      {"evicted_traces", counts.evicted_traces},
      {"dropped_spans", counts.dropped_spans},
      {"traces", std::move(traces)},
  });
}

std::optional<std::string> TraceViewerStore::trace_json(const TraceId& trace_id) const {
  auto copied = copy_trace(trace_id);
  if (!copied) return std::nullopt;
  const auto& [summary, spans] = *copied;
  Json json = summary_json(summary);
  Json span_list = Json::array();
  for (const auto& span : spans)
    span_list.push_back(span_json(span, summary.start));
  json["spans"] = std::move(span_list);
  return dump(json);
}

}  // namespace tachi_trace
