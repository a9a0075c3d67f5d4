// ExportTraceServiceRequest in the protobuf wire format, from opentelemetry-proto:
// collector/trace/v1/trace_service.proto, trace/v1/trace.proto, common/v1/common.proto and
// resource/v1/resource.proto. Field numbers are those files' facts.
#include <bit>
#include <cassert>
#include <type_traits>

#include "otlp_encoders.hpp"
#include "prefetch.hpp"
#include "protobuf_writer.hpp"

namespace tachi_trace::detail {

namespace {

namespace field {
// ExportTraceServiceRequest
constexpr std::uint32_t request_resource_spans = 1;
// ResourceSpans
constexpr std::uint32_t resource_spans_resource = 1;
constexpr std::uint32_t resource_spans_scope_spans = 2;
constexpr std::uint32_t resource_spans_schema_url = 3;
// Resource
constexpr std::uint32_t resource_attributes = 1;
// ScopeSpans
constexpr std::uint32_t scope_spans_scope = 1;
constexpr std::uint32_t scope_spans_spans = 2;
constexpr std::uint32_t scope_spans_schema_url = 3;
// InstrumentationScope
constexpr std::uint32_t scope_name = 1;
constexpr std::uint32_t scope_version = 2;
// Span
constexpr std::uint32_t span_trace_id = 1;
constexpr std::uint32_t span_span_id = 2;
constexpr std::uint32_t span_trace_state = 3;
constexpr std::uint32_t span_parent_span_id = 4;
constexpr std::uint32_t span_name = 5;
constexpr std::uint32_t span_kind = 6;
constexpr std::uint32_t span_start_time = 7;
constexpr std::uint32_t span_end_time = 8;
constexpr std::uint32_t span_attributes = 9;
constexpr std::uint32_t span_dropped_attributes = 10;
constexpr std::uint32_t span_events = 11;
constexpr std::uint32_t span_dropped_events = 12;
constexpr std::uint32_t span_links = 13;
constexpr std::uint32_t span_dropped_links = 14;
constexpr std::uint32_t span_status = 15;
constexpr std::uint32_t span_flags = 16;
// Span.Event
constexpr std::uint32_t event_time = 1;
constexpr std::uint32_t event_name = 2;
constexpr std::uint32_t event_attributes = 3;
constexpr std::uint32_t event_dropped_attributes = 4;
// Span.Link
constexpr std::uint32_t link_trace_id = 1;
constexpr std::uint32_t link_span_id = 2;
constexpr std::uint32_t link_trace_state = 3;
constexpr std::uint32_t link_attributes = 4;
constexpr std::uint32_t link_dropped_attributes = 5;
constexpr std::uint32_t link_flags = 6;
// Status
constexpr std::uint32_t status_message = 2;
constexpr std::uint32_t status_code = 3;
// KeyValue
constexpr std::uint32_t key_value_key = 1;
constexpr std::uint32_t key_value_value = 2;
// AnyValue (a oneof: the chosen field is written even when it holds a default value)
constexpr std::uint32_t any_string = 1;
constexpr std::uint32_t any_bool = 2;
constexpr std::uint32_t any_int = 3;
constexpr std::uint32_t any_double = 4;
constexpr std::uint32_t any_array = 5;
// ArrayValue
constexpr std::uint32_t array_values = 1;
}  // namespace field

std::uint64_t unix_nanos(SystemTime time) noexcept {
  const auto count = time.time_since_epoch().count();
  return count < 0 ? 0 : static_cast<std::uint64_t>(count);
}

// A KeyValue's size follows from its strings' sizes, so it is computed where needed (by both
// passes) rather than recorded: attributes are most of a span, and this keeps them cheap (recording
// them measured 50 instructions a span more, of about 1,700).

template <typename Sink>
std::size_t delimited_size(Sink& sink, std::string_view text) {
  const std::size_t length = sink.measure(text);
  return 1 + protobuf::varint_size(length) + length;  // every field number here is below 16
}

template <typename Sink, typename Element>
std::size_t scalar_value_size(Sink& sink, const Element& value) {
  if constexpr (std::is_same_v<Element, std::string>) {
    return delimited_size(sink, value);
  } else if constexpr (std::is_same_v<Element, bool>) {
    return 2;
  } else if constexpr (std::is_same_v<Element, std::int64_t>) {
    return 1 + protobuf::varint_size(static_cast<std::uint64_t>(value));
  } else {
    return 9;
  }
}

template <typename Sink, typename Element>
std::size_t array_content_size(Sink& sink, const std::vector<Element>& values) {
  std::size_t size = 0;
  for (const auto& element : values) {
    const std::size_t element_size = scalar_value_size<Sink, Element>(sink, element);
    size += 1 + protobuf::varint_size(element_size) + element_size;
  }
  return size;
}

template <typename Value>
constexpr bool is_array = false;
template <typename Element>
constexpr bool is_array<std::vector<Element>> = true;

// The size of the contents of an AnyValue that holds `value`.
template <typename Sink, typename Value>
std::size_t any_value_size(Sink& sink, const Value& value) {
  if constexpr (is_array<Value>) {
    const std::size_t content = array_content_size(sink, value);
    return 1 + protobuf::varint_size(content) + content;
  } else {
    return scalar_value_size(sink, value);
  }
}

template <typename Sink, typename Element>
void put_scalar_value(Sink& sink, const Element& value) {
  if constexpr (std::is_same_v<Element, std::string>) {
    sink.string(field::any_string, value);
  } else if constexpr (std::is_same_v<Element, bool>) {
    sink.varint(field::any_bool, value ? 1 : 0);
  } else if constexpr (std::is_same_v<Element, std::int64_t>) {
    sink.varint(field::any_int, static_cast<std::uint64_t>(value));
  } else {
    sink.fixed64(field::any_double, std::bit_cast<std::uint64_t>(value));
  }
}

// Writes an AnyValue's contents (only called by the Writer).
template <typename Sink, typename Value>
void put_any_value_content(Sink& sink, const Value& value) {
  if constexpr (is_array<Value>) {
    using Element = typename Value::value_type;
    sink.delimited(field::any_array, array_content_size(sink, value));
    for (const auto& element : value) {
      sink.delimited(field::array_values, scalar_value_size<Sink, Element>(sink, element));
      put_scalar_value<Sink, Element>(sink, element);
    }
  } else {
    put_scalar_value(sink, value);
  }
}

// Typed by the value's alternative, so that the variant is dispatched on once per attribute, for
// both its size and its contents. Always inlined, as is put_attribute: otherwise GCC makes a call
// per attribute, which cost more than the second dispatch saved.
template <typename Sink, typename Value>
[[gnu::always_inline]] inline void put_key_value(Sink& sink, std::uint32_t field,
                                                 std::string_view key, const Value& value) {
  const std::size_t value_size = any_value_size(sink, value);
  const std::size_t key_value_size =
      delimited_size(sink, key) + 1 + protobuf::varint_size(value_size) + value_size;
  sink.delimited(field, key_value_size);
  if constexpr (!Sink::measuring) {
    sink.string(field::key_value_key, key);
    sink.delimited(field::key_value_value, value_size);
    put_any_value_content(sink, value);
  }
}

// Scalars are tested for first, without std::visit: they are nearly every attribute, and a visit
// would not be inlined.
template <typename Sink>
[[gnu::always_inline]] inline void put_attribute(Sink& sink, std::uint32_t field,
                                                 const Attribute& attribute) {
  const AttributeValue& value = attribute.value;
  if (const auto* text = value.get_if<std::string>())
    return put_key_value(sink, field, attribute.key, *text);
  if (const auto* number = value.get_if<std::int64_t>())
    return put_key_value(sink, field, attribute.key, *number);
  if (const auto* real = value.get_if<double>())
    return put_key_value(sink, field, attribute.key, *real);
  if (const auto* flag = value.get_if<bool>())
    return put_key_value(sink, field, attribute.key, *flag);
  std::visit([&](const auto& array) { put_key_value(sink, field, attribute.key, array); },
             value.storage());
}

template <typename Sink>
void put_attributes(Sink& sink, std::uint32_t field, std::span<const Attribute> attributes) {
  for (const Attribute& attribute : attributes)
    put_attribute(sink, field, attribute);
}

// The W3C header form ("k1=v1,k2=v2"), written in place rather than built as a string.
template <typename Sink>
void put_trace_state(Sink& sink, std::uint32_t field, const TraceState& state) {
  if (state.empty()) return;
  std::size_t length = state.size() - 1;
  for (const auto& member : state.members())
    length += sink.measure(member.key) + 1 + sink.measure(member.value);
  sink.delimited(field, length);
  bool first = true;
  for (const auto& member : state.members()) {
    if (!first) sink.raw(",");
    first = false;
    sink.raw(member.key);
    sink.raw("=");
    sink.raw(member.value);
  }
}

template <typename Sink>
void put_event(Sink& sink, const Event& event) {
  sink.begin(field::span_events);
  sink.fixed64(field::event_time, unix_nanos(event.time));
  if (!event.name.empty()) sink.string(field::event_name, event.name);
  put_attributes(sink, field::event_attributes, event.attributes);
  if (event.dropped_attributes_count > 0)
    sink.varint(field::event_dropped_attributes, event.dropped_attributes_count);
  sink.end(field::span_events);
}

template <typename Sink>
void put_link(Sink& sink, const Link& link) {
  sink.begin(field::span_links);
  sink.bytes(field::link_trace_id, link.context.trace_id.bytes().data(), TraceId::byte_count);
  sink.bytes(field::link_span_id, link.context.span_id.bytes().data(), SpanId::byte_count);
  put_trace_state(sink, field::link_trace_state, link.context.trace_state);
  put_attributes(sink, field::link_attributes, link.attributes);
  if (link.dropped_attributes_count > 0)
    sink.varint(field::link_dropped_attributes, link.dropped_attributes_count);
  sink.fixed32(field::link_flags, otlp_link_flags(link));
  sink.end(field::span_links);
}

template <typename Sink>
void put_status(Sink& sink, const Status& status) {
  if (status.code == StatusCode::unset && status.description.empty()) return;
  sink.begin(field::span_status);
  if (!status.description.empty()) sink.string(field::status_message, status.description);
  // StatusCode: UNSET = 0, OK = 1, ERROR = 2, the order of our enum.
  if (status.code != StatusCode::unset)
    sink.varint(field::status_code, static_cast<std::uint64_t>(status.code));
  sink.end(field::span_status);
}

template <typename Sink>
void put_span(Sink& sink, const SpanData& span) {
  sink.begin(field::scope_spans_spans);
  sink.bytes(field::span_trace_id, span.context.trace_id.bytes().data(), TraceId::byte_count);
  sink.bytes(field::span_span_id, span.context.span_id.bytes().data(), SpanId::byte_count);
  put_trace_state(sink, field::span_trace_state, span.context.trace_state);
  if (span.has_parent())
    sink.bytes(field::span_parent_span_id, span.parent_span_id.bytes().data(), SpanId::byte_count);
  if (!span.name.empty()) sink.string(field::span_name, span.name);
  // SpanKind: SPAN_KIND_INTERNAL = 1 ... CONSUMER = 5, our enum's order plus one.
  sink.varint(field::span_kind, static_cast<std::uint64_t>(span.kind) + 1);
  sink.fixed64(field::span_start_time, unix_nanos(span.start_time));
  sink.fixed64(field::span_end_time, unix_nanos(span.end_time));
  put_attributes(sink, field::span_attributes, span.attributes);
  if (span.dropped_attributes_count > 0)
    sink.varint(field::span_dropped_attributes, span.dropped_attributes_count);
  for (const Event& event : span.events)
    put_event(sink, event);
  if (span.dropped_events_count > 0)
    sink.varint(field::span_dropped_events, span.dropped_events_count);
  for (const Link& link : span.links)
    put_link(sink, link);
  if (span.dropped_links_count > 0)
    sink.varint(field::span_dropped_links, span.dropped_links_count);
  put_status(sink, span.status);
  sink.fixed32(field::span_flags, otlp_span_flags(span));
  sink.end(field::scope_spans_spans);
}

constexpr std::size_t fields_ahead = 8;
constexpr std::size_t attributes_ahead = 4;

void prefetch_span_fields(const SpanData& span) noexcept {
  prefetch_for_reading(&span, sizeof span);
}

void prefetch_span_attributes(const SpanData& span) noexcept {
  prefetch_for_reading(span.attributes.begin(), span.attributes.size() * sizeof(Attribute));
}

template <typename Sink>
void put_scope_spans(Sink& sink, const ScopeGroups::Group& group) {
  sink.begin(field::resource_spans_scope_spans);
  if (group.scope != nullptr) {
    sink.begin(field::scope_spans_scope);
    if (!group.scope->name.empty()) sink.string(field::scope_name, group.scope->name);
    if (!group.scope->version.empty()) sink.string(field::scope_version, group.scope->version);
    sink.end(field::scope_spans_scope);
  }
  // The spans were written on other processors, so each read of one waits for its lines. Asked
  // for ahead, the next spans' lines arrive while this one is encoded: a span's own fields a few
  // spans ahead, its attribute elements (whose address those fields hold) a little nearer
  // (the bench line span_server_12_attributes_encoded reports this thread's time per span).
  const std::size_t count = group.spans.size();
  for (std::size_t index = 0; index < count; ++index) {
    if (index + fields_ahead < count) prefetch_span_fields(*group.spans[index + fields_ahead]);
    if (index + attributes_ahead < count)
      prefetch_span_attributes(*group.spans[index + attributes_ahead]);
    put_span(sink, *group.spans[index]);
  }
  if (group.scope != nullptr && !group.scope->schema_url.empty())
    sink.string(field::scope_spans_schema_url, group.scope->schema_url);
  sink.end(field::resource_spans_scope_spans);
}

template <typename Sink>
void put_request(Sink& sink, const Resource& resource,
                 const std::vector<ScopeGroups::Group>& groups) {
  sink.begin(field::request_resource_spans);
  sink.begin(field::resource_spans_resource);
  put_attributes(sink, field::resource_attributes, resource.attributes());
  sink.end(field::resource_spans_resource);
  for (const auto& group : groups)
    put_scope_spans(sink, group);
  if (!resource.schema_url().empty())
    sink.string(field::resource_spans_schema_url, resource.schema_url());
  sink.end(field::request_resource_spans);
}

}  // namespace

std::uint32_t otlp_span_flags(const SpanData& span) noexcept {
  return span.context.flags.bits() | 0x100u | (span.parent_is_remote ? 0x200u : 0u);
}

std::uint32_t otlp_link_flags(const Link& link) noexcept {
  return link.context.flags.bits() | 0x100u | (link.context.is_remote ? 0x200u : 0u);
}

namespace {

// One measuring and one writing pass; false when a string turned out not to be valid UTF-8.
template <bool Repair>
bool encode_passes(const Resource& resource, const std::vector<ScopeGroups::Group>& groups,
                   std::vector<std::uint32_t>& message_sizes, std::string& out, std::size_t limit,
                   bool& over_limit) {
  protobuf::BasicSizer<Repair> sizer(message_sizes);
  put_request(sizer, resource, groups);
  over_limit = sizer.total() > limit;
  if (over_limit) return true;
  out.resize(sizer.total());
  protobuf::BasicWriter<Repair> writer(message_sizes, out.data());
  put_request(writer, resource, groups);
  assert(writer.position() == out.data() + out.size());
  return !writer.found_invalid_utf8();
}

}  // namespace

bool OtlpProtobufEncoder::encode(const Resource& resource, std::span<const SpanData* const> spans,
                                 std::string& out, std::size_t limit) {
  const auto& groups = groups_.group(spans);
  bool over_limit = false;
  if (!encode_passes<false>(resource, groups, message_sizes_, out, limit, over_limit))
    encode_passes<true>(resource, groups, message_sizes_, out, limit, over_limit);
  return !over_limit;
}

}  // namespace tachi_trace::detail
