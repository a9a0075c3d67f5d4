// ExportTraceServiceRequest as OTLP JSON: the protobuf JSON mapping (lowerCamelCase keys, 64-bit
// integers as decimal strings, default values left out) with OTLP's changes: trace and span ids
// as hex strings, enums as integers.
#include <type_traits>

#include "json_values.hpp"
#include "otlp_encoders.hpp"

namespace tachi_trace::detail {

namespace {

void append_nanos(std::string& out, SystemTime time) {
  const auto count = time.time_since_epoch().count();
  out += '"';
  append_unsigned(out, count < 0 ? 0 : static_cast<std::uint64_t>(count));
  out += '"';
}

template <typename Element>
void append_any_scalar(std::string& out, const Element& value) {
  if constexpr (std::is_same_v<Element, std::string>) {
    out += "{\"stringValue\":";
    append_json_literal(out, value);
  } else if constexpr (std::is_same_v<Element, bool>) {
    out += value ? "{\"boolValue\":true" : "{\"boolValue\":false";
  } else if constexpr (std::is_same_v<Element, std::int64_t>) {
    out += "{\"intValue\":\"";
    append_signed(out, value);
    out += '"';
  } else {
    out += "{\"doubleValue\":";
    append_double(out, value);
  }
  out += '}';
}

void append_any_value(std::string& out, const AttributeValue& value) {
  std::visit(
      [&](const auto& alternative) {
        using Alternative = std::decay_t<decltype(alternative)>;
        if constexpr (requires { typename Alternative::value_type; } &&
                      !std::is_same_v<Alternative, std::string>) {
          out += "{\"arrayValue\":{\"values\":[";
          bool first = true;
          for (const auto& element : alternative) {
            if (!first) out += ',';
            first = false;
            append_any_scalar<typename Alternative::value_type>(out, element);
          }
          out += "]}}";
        } else {
          append_any_scalar(out, alternative);
        }
      },
      value.storage());
}

// `,"attributes":[...]` (nothing when there are none), then the dropped count when not zero.
void append_attributes(std::string& out, std::span<const Attribute> attributes,
                       std::uint32_t dropped) {
  if (!attributes.empty()) {
    out += ",\"attributes\":[";
    for (std::size_t index = 0; index < attributes.size(); ++index) {
      if (index > 0) out += ',';
      out += "{\"key\":";
      append_json_literal(out, attributes[index].key);
      out += ",\"value\":";
      append_any_value(out, attributes[index].value);
      out += '}';
    }
    out += ']';
  }
  if (dropped > 0) {
    out += ",\"droppedAttributesCount\":";
    append_unsigned(out, dropped);
  }
}

void append_trace_state(std::string& out, const TraceState& state) {
  if (state.empty()) return;
  out += ",\"traceState\":";
  append_json_literal(out, state.to_header());
}

void append_event(std::string& out, const Event& event) {
  out += "{\"timeUnixNano\":";
  append_nanos(out, event.time);
  out += ",\"name\":";
  append_json_literal(out, event.name);
  append_attributes(out, event.attributes, event.dropped_attributes_count);
  out += '}';
}

void append_link(std::string& out, const Link& link) {
  out += "{\"traceId\":";
  append_hex_id(out, link.context.trace_id);
  out += ",\"spanId\":";
  append_hex_id(out, link.context.span_id);
  append_trace_state(out, link.context.trace_state);
  append_attributes(out, link.attributes, link.dropped_attributes_count);
  out += ",\"flags\":";
  append_unsigned(out, otlp_link_flags(link));
  out += '}';
}

void append_status(std::string& out, const Status& status) {
  out += ",\"status\":{";
  if (!status.description.empty()) {
    out += "\"message\":";
    append_json_literal(out, status.description);
    out += ',';
  }
  out += "\"code\":";
  append_unsigned(out, static_cast<std::uint64_t>(status.code));
  out += '}';
}

template <typename Item, typename Append>
void append_list(std::string& out, std::string_view key, const std::vector<Item>& items,
                 Append append) {
  if (items.empty()) return;
  out += key;
  out += '[';
  for (std::size_t index = 0; index < items.size(); ++index) {
    if (index > 0) out += ',';
    append(out, items[index]);
  }
  out += ']';
}

void append_count(std::string& out, std::string_view key, std::uint32_t count) {
  if (count == 0) return;
  out += key;
  append_unsigned(out, count);
}

void append_span(std::string& out, const SpanData& span) {
  out += "{\"traceId\":";
  append_hex_id(out, span.context.trace_id);
  out += ",\"spanId\":";
  append_hex_id(out, span.context.span_id);
  append_trace_state(out, span.context.trace_state);
  if (span.has_parent()) {
    out += ",\"parentSpanId\":";
    append_hex_id(out, span.parent_span_id);
  }
  out += ",\"flags\":";
  append_unsigned(out, otlp_span_flags(span));
  out += ",\"name\":";
  append_json_literal(out, span.name);
  out += ",\"kind\":";
  append_unsigned(out, static_cast<std::uint64_t>(span.kind) + 1);
  out += ",\"startTimeUnixNano\":";
  append_nanos(out, span.start_time);
  out += ",\"endTimeUnixNano\":";
  append_nanos(out, span.end_time);
  append_attributes(out, span.attributes, span.dropped_attributes_count);
  append_list(out, ",\"events\":", span.events, append_event);
  append_count(out, ",\"droppedEventsCount\":", span.dropped_events_count);
  append_list(out, ",\"links\":", span.links, append_link);
  append_count(out, ",\"droppedLinksCount\":", span.dropped_links_count);
  append_status(out, span.status);
  out += '}';
}

void append_scope_spans(std::string& out, const ScopeGroups::Group& group) {
  out += '{';
  if (group.scope != nullptr) {
    out += "\"scope\":{\"name\":";
    append_json_literal(out, group.scope->name);
    if (!group.scope->version.empty()) {
      out += ",\"version\":";
      append_json_literal(out, group.scope->version);
    }
    out += "},";
  }
  out += "\"spans\":[";
  for (std::size_t index = 0; index < group.spans.size(); ++index) {
    if (index > 0) out += ',';
    append_span(out, *group.spans[index]);
  }
  out += ']';
  if (group.scope != nullptr && !group.scope->schema_url.empty()) {
    out += ",\"schemaUrl\":";
    append_json_literal(out, group.scope->schema_url);
  }
  out += '}';
}

}  // namespace

bool OtlpJsonEncoder::encode(const Resource& resource, std::span<const SpanData* const> spans,
                             std::string& out, std::size_t limit) {
  out.clear();
  out += "{\"resourceSpans\":[{\"resource\":{";
  const std::size_t before_attributes = out.size();
  append_attributes(out, resource.attributes(), 0);
  if (out.size() > before_attributes) out.erase(before_attributes, 1);  // the leading comma
  out += "},\"scopeSpans\":[";
  const auto& groups = groups_.group(spans);
  for (std::size_t index = 0; index < groups.size(); ++index) {
    if (index > 0) out += ',';
    append_scope_spans(out, groups[index]);
  }
  out += ']';
  if (!resource.schema_url().empty()) {
    out += ",\"schemaUrl\":";
    append_json_literal(out, resource.schema_url());
  }
  out += "}]}";
  return out.size() <= limit;
}

}  // namespace tachi_trace::detail
