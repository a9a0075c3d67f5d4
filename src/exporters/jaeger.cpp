// jaeger.thrift's Batch in the Thrift binary protocol, mapped as the OpenTelemetry "Jaeger
// exporter" document says. Field ids and enum values are jaeger-idl's (thrift/jaeger.thrift):
//   Batch   { 1: Process process, 2: list<Span> spans }
//   Process { 1: string serviceName, 2: optional list<Tag> tags }
//   Span    { 1: i64 traceIdLow, 2: i64 traceIdHigh, 3: i64 spanId, 4: i64 parentSpanId,
//             5: string operationName, 6: optional list<SpanRef> references, 7: i32 flags,
//             8: i64 startTime, 9: i64 duration, 10: optional list<Tag> tags,
//             11: optional list<Log> logs }
//   Tag     { 1: string key, 2: TagType vType, 3: vStr, 4: vDouble, 5: vBool, 6: vLong }
//   Log     { 1: i64 timestamp, 2: list<Tag> fields }
//   SpanRef { 1: SpanRefType refType, 2: i64 traceIdLow, 3: i64 traceIdHigh, 4: i64 spanId }
//   TagType { STRING, DOUBLE, BOOL, LONG, BINARY }   SpanRefType { CHILD_OF, FOLLOWS_FROM }
#include "tachi_trace/exporters/jaeger.hpp"

#include "basic_authorization.hpp"

#include "extra_tags.hpp"
#include "http_exporter.hpp"
#include "json_values.hpp"
#include "thrift_writer.hpp"

namespace tachi_trace {

namespace {

using detail::thrift::Type;

enum class TagType : std::int32_t { string = 0, double_ = 1, boolean = 2, long_ = 3 };
enum class ReferenceType : std::int32_t { child_of = 0, follows_from = 1 };

std::int64_t micros(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

// Ids are big-endian unsigned integers, carried as signed i64 with the same bits.
std::int64_t big_endian_i64(const std::uint8_t* bytes) {
  std::uint64_t value = 0;
  for (int index = 0; index < 8; ++index)
    value = value << 8 | bytes[index];
  return static_cast<std::int64_t>(value);
}

std::int64_t trace_id_high(const TraceId& id) {
  return big_endian_i64(id.bytes().data());
}
std::int64_t trace_id_low(const TraceId& id) {
  return big_endian_i64(id.bytes().data() + 8);
}
std::int64_t span_id_value(const SpanId& id) {
  return big_endian_i64(id.bytes().data());
}

class JaegerEncoder final : public SpanEncoder {
 public:
  std::string_view content_type() const noexcept override { return "application/x-thrift"; }

  bool encode(const Resource& resource, std::span<const SpanData* const> spans, std::string& out,
              std::size_t limit) override {
    out.clear();
    detail::thrift::Writer writer(out);
    writer.field(Type::structure, 1);
    write_process(writer, resource);
    writer.field(Type::list, 2);
    writer.list(Type::structure, spans.size());
    for (const SpanData* span : spans)
      write_span(writer, *span);
    writer.stop();
    return out.size() <= limit;
  }

 private:
  void write_process(detail::thrift::Writer& writer, const Resource& resource) {
    writer.string_field(1, resource.service_name());
    std::size_t count = 0;
    for (const Attribute& attribute : resource.attributes())
      count += attribute.key != "service.name";
    if (count > 0) {
      writer.field(Type::list, 2);
      writer.list(Type::structure, count);
      for (const Attribute& attribute : resource.attributes())
        if (attribute.key != "service.name") write_tag(writer, attribute.key, attribute.value);
    }
    writer.stop();
  }

  void write_span(detail::thrift::Writer& writer, const SpanData& span) {
    writer.i64_field(1, trace_id_low(span.context.trace_id));
    writer.i64_field(2, trace_id_high(span.context.trace_id));
    writer.i64_field(3, span_id_value(span.context.span_id));
    writer.i64_field(4, span.has_parent() ? span_id_value(span.parent_span_id) : 0);
    writer.string_field(5, span.name);
    write_references(writer, span);
    writer.i32_field(7, span.context.flags.sampled() ? 1 : 0);
    writer.i64_field(8, micros(span.start_time));
    writer.i64_field(
        9, std::chrono::duration_cast<std::chrono::microseconds>(span.duration()).count());
    write_span_tags(writer, span);
    write_logs(writer, span);
    writer.stop();
  }

  // The parent as the first CHILD_OF reference, then each link as FOLLOWS_FROM.
  void write_references(detail::thrift::Writer& writer, const SpanData& span) {
    const std::size_t count = (span.has_parent() ? 1 : 0) + span.links.size();
    if (count == 0) return;
    writer.field(Type::list, 6);
    writer.list(Type::structure, count);
    if (span.has_parent())
      write_reference(writer, ReferenceType::child_of, span.context.trace_id, span.parent_span_id);
    for (const Link& link : span.links)
      write_reference(writer, ReferenceType::follows_from, link.context.trace_id,
                      link.context.span_id);
  }

  void write_reference(detail::thrift::Writer& writer, ReferenceType type, const TraceId& trace,
                       const SpanId& span) {
    writer.i32_field(1, static_cast<std::int32_t>(type));
    writer.i64_field(2, trace_id_low(trace));
    writer.i64_field(3, trace_id_high(trace));
    writer.i64_field(4, span_id_value(span));
    writer.stop();
  }

  void write_span_tags(detail::thrift::Writer& writer, const SpanData& span) {
    const detail::ExtraTags extra(span, detail::ExtraTags::Format::jaeger);
    std::size_t count = extra.tags().size();
    for (const Attribute& attribute : span.attributes)
      count += !extra.replaces(attribute.key);
    if (count == 0) return;
    writer.field(Type::list, 10);
    writer.list(Type::structure, count);
    for (const Attribute& attribute : span.attributes)
      if (!extra.replaces(attribute.key)) write_tag(writer, attribute.key, attribute.value);
    for (const detail::ExtraTag& tag : extra.tags())
      write_extra_tag(writer, tag);
  }

  void write_logs(detail::thrift::Writer& writer, const SpanData& span) {
    if (span.events.empty()) return;
    writer.field(Type::list, 11);
    writer.list(Type::structure, span.events.size());
    for (const Event& event : span.events)
      write_log(writer, event);
  }

  // The event's name is the `event` field, unless an attribute of that name says otherwise.
  void write_log(detail::thrift::Writer& writer, const Event& event) {
    writer.i64_field(1, micros(event.time));
    bool named_by_attribute = false;
    for (const Attribute& attribute : event.attributes)
      named_by_attribute = named_by_attribute || attribute.key == "event";
    const std::size_t count = event.attributes.size() + (named_by_attribute ? 0 : 1) +
                              (event.dropped_attributes_count > 0 ? 1 : 0);
    writer.field(Type::list, 2);
    writer.list(Type::structure, count);
    if (!named_by_attribute) write_string_tag(writer, "event", event.name);
    for (const Attribute& attribute : event.attributes)
      write_tag(writer, attribute.key, attribute.value);
    if (event.dropped_attributes_count > 0)
      write_long_tag(writer, "otel.dropped_attributes_count", event.dropped_attributes_count);
    writer.stop();
  }

  void write_tag(detail::thrift::Writer& writer, std::string_view key,
                 const AttributeValue& value) {
    if (const auto* text = value.get_if<std::string>()) {
      write_string_tag(writer, key, *text);
    } else if (const auto* flag = value.get_if<bool>()) {
      write_tag_header(writer, key, TagType::boolean);
      writer.field(Type::boolean, 5);
      writer.boolean(*flag);
      writer.stop();
    } else if (const auto* number = value.get_if<std::int64_t>()) {
      write_long_tag(writer, key, *number);
    } else if (const auto* real = value.get_if<double>()) {
      write_tag_header(writer, key, TagType::double_);
      writer.field(Type::double_, 4);
      writer.double_(*real);
      writer.stop();
    } else {
      scratch_.clear();  // arrays: a JSON list in a string tag
      detail::append_attribute_text(scratch_, value);
      write_string_tag(writer, key, scratch_);
    }
  }

  void write_extra_tag(detail::thrift::Writer& writer, const detail::ExtraTag& tag) {
    switch (tag.type) {
      case detail::ExtraTag::Type::text:
        write_string_tag(writer, tag.key, tag.text);
        break;
      case detail::ExtraTag::Type::boolean:
        write_tag_header(writer, tag.key, TagType::boolean);
        writer.field(Type::boolean, 5);
        writer.boolean(tag.count != 0);
        writer.stop();
        break;
      case detail::ExtraTag::Type::count:
        write_long_tag(writer, tag.key, static_cast<std::int64_t>(tag.count));
        break;
    }
  }

  void write_tag_header(detail::thrift::Writer& writer, std::string_view key, TagType type) {
    writer.string_field(1, key);
    writer.i32_field(2, static_cast<std::int32_t>(type));
  }

  void write_string_tag(detail::thrift::Writer& writer, std::string_view key,
                        std::string_view text) {
    write_tag_header(writer, key, TagType::string);
    writer.string_field(3, text);
    writer.stop();
  }

  void write_long_tag(detail::thrift::Writer& writer, std::string_view key, std::int64_t number) {
    write_tag_header(writer, key, TagType::long_);
    writer.i64_field(6, number);
    writer.stop();
  }

  std::string scratch_;
};

}  // namespace

std::unique_ptr<SpanEncoder> make_jaeger_encoder() {
  return std::make_unique<JaegerEncoder>();
}

Expected<std::unique_ptr<SpanExporter>> make_jaeger_exporter(const JaegerExporterSettings& settings,
                                                             HttpExporterOptions options) {
  if (settings.user.find(':') != std::string::npos)
    return Error{Error::Code::invalid_configuration,
                 "the Jaeger exporter's user name cannot hold ':' (HTTP Basic authentication)"};
  if (settings.user.empty() && !settings.password.empty())
    return Error{Error::Code::invalid_configuration,
                 "the Jaeger exporter has a password but no user name"};
  HttpHeaders headers;
  if (!settings.user.empty())
    headers.emplace_back("Authorization",
                         detail::basic_authorization(settings.user, settings.password));
  auto transport = detail::make_exporter_transport("jaeger", detail::ExporterEndpoint::of(settings),
                                                   options, std::move(headers));
  if (!transport) return transport.error();
  detail::HttpSpanExporter::Parts parts{"jaeger", make_jaeger_encoder(), std::move(*transport),
                                        settings.timeout, std::move(options)};
  return std::unique_ptr<SpanExporter>(
      std::make_unique<detail::HttpSpanExporter>(std::move(parts)));
}

}  // namespace tachi_trace
