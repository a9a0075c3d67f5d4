#include "tachi_trace/exporters/console.hpp"

#include <ctime>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "../json_text.hpp"

namespace tachi_trace {

namespace {

std::string format_timestamp(SystemTime time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
  std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[40];
  std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%06ldZ", static_cast<long>(micros));
  return text;
}

std::string format_duration(std::chrono::nanoseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fms", static_cast<double>(duration.count()) / 1e6);
  return text;
}

void append_attributes(std::string& line, std::span<const Attribute> attributes) {
  line += '{';
  for (std::size_t index = 0; index < attributes.size(); ++index) {
    if (index > 0) line += ", ";
    line += attributes[index].key;
    line += '=';
    if (const auto* text = attributes[index].value.get_if<std::string>())
      detail::append_json_string(line, *text);
    else
      line += attributes[index].value.to_string();
  }
  line += '}';
}

nlohmann::json attributes_json(std::span<const Attribute> attributes) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& attribute : attributes) {
    std::visit([&](const auto& value) { object[std::string(attribute.key)] = value; },
               attribute.value.storage());
  }
  return object;
}

std::int64_t unix_nanos(SystemTime time) {
  return time.time_since_epoch().count();
}

class ConsoleExporter final : public SpanExporter {
 public:
  ConsoleExporter(ConsoleFormat format, std::ostream& out) : format_(format), out_(out) {}

  std::string_view name() const noexcept override { return "console"; }

  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    try {
      std::string text;
      for (const SpanData* span : batch.spans) {
        text += format_ == ConsoleFormat::json_lines ? format_span_json(*span, batch.resource)
                                                     : format_span_text(*span);
        text += '\n';
      }
      std::lock_guard guard(mutex_);
      out_ << text << std::flush;
      if (!out_) return ExportResult::failure("the console stream is in a failed state");
      return ExportResult::success();
    } catch (const std::exception& error) {
      return ExportResult::failure(error.what());
    }
  }

 private:
  ConsoleFormat format_;
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace

std::string format_span_text(const SpanData& span) {
  std::string line = format_timestamp(span.start_time);
  line += " trace=" + span.context.trace_id.to_hex();
  line += " span=" + span.context.span_id.to_hex();
  line += " parent=" + (span.has_parent() ? span.parent_span_id.to_hex() : std::string("-"));
  line += ' ';
  detail::append_json_string(line, span.name);
  line += ' ';
  line += to_string(span.kind);
  line += ' ' + format_duration(span.duration());
  line += " status=";
  line += to_string(span.status.code);
  if (!span.status.description.empty()) {
    line += ':';
    detail::append_json_string(line, span.status.description);
  }
  line += ' ';
  append_attributes(line, span.attributes);
  if (!span.events.empty()) line += " events=" + std::to_string(span.events.size());
  return line;
}

std::string format_span_json(const SpanData& span, const Resource& resource) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& event : span.events) {
    events.push_back({{"name", event.name},
                      {"timeUnixNano", unix_nanos(event.time)},
                      {"attributes", attributes_json(event.attributes)}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& link : span.links) {
    links.push_back({{"traceId", link.context.trace_id.to_hex()},
                     {"spanId", link.context.span_id.to_hex()},
                     {"attributes", attributes_json(link.attributes)}});
  }
  nlohmann::json object = {
      {"traceId", span.context.trace_id.to_hex()},
      {"spanId", span.context.span_id.to_hex()},
      {"parentSpanId", span.has_parent() ? span.parent_span_id.to_hex() : std::string()},
      {"name", span.name},
      {"kind", to_string(span.kind)},
      {"startTimeUnixNano", unix_nanos(span.start_time)},
      {"endTimeUnixNano", unix_nanos(span.end_time)},
      {"durationNanos", span.duration().count()},
      {"status", {{"code", to_string(span.status.code)}, {"description", span.status.description}}},
      {"attributes", attributes_json(span.attributes)},
      {"events", events},
      {"links", links},
      {"scope", span.scope ? span.scope->name : std::string()},
      {"service", resource.service_name()},
  };
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<SpanExporter> make_console_exporter(ConsoleFormat format, std::ostream& out) {
  return std::make_unique<ConsoleExporter>(format, out);
}

std::unique_ptr<SpanExporter> make_console_exporter(ConsoleFormat format) {
  return make_console_exporter(format, std::cout);
}

}  // namespace tachi_trace
