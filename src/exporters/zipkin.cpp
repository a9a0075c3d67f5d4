// Zipkin v2 JSON (zipkin2-api.yaml), mapped as the OpenTelemetry "Zipkin exporter" document says.
#include "tachi_trace/exporters/zipkin.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <optional>

#include "extra_tags.hpp"
#include "http_exporter.hpp"
#include "json_values.hpp"

namespace tachi_trace {

namespace {

std::int64_t micros(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string_view zipkin_kind(SpanKind kind) {
  switch (kind) {
    case SpanKind::server:
      return "SERVER";
    case SpanKind::client:
      return "CLIENT";
    case SpanKind::producer:
      return "PRODUCER";
    case SpanKind::consumer:
      return "CONSUMER";
    case SpanKind::internal:
      break;
  }
  return {};
}

// The attributes the specification ranks for remoteEndpoint, best first, each with the attribute
// that carries its port (if any).
struct RemoteEndpointSource {
  std::string_view address;
  std::string_view port;
};
constexpr std::array<RemoteEndpointSource, 11> remote_endpoint_sources = {{
    {"peer.service", {}},
    {"server.address", {}},
    {"net.peer.name", {}},
    {"network.peer.address", "network.peer.port"},
    {"server.socket.domain", {}},
    {"server.socket.address", "server.socket.port"},
    {"net.sock.peer.name", {}},
    {"net.sock.peer.addr", "net.sock.peer.port"},
    {"peer.hostname", {}},
    {"peer.address", {}},
    {"db.name", {}},
}};

std::optional<std::int64_t> port_of(const SpanData& span, std::string_view key) {
  if (key.empty()) return std::nullopt;
  const AttributeValue* value = span.find_attribute(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* number = value->get_if<std::int64_t>()) return *number;
  if (const auto* text = value->get_if<std::string>()) {
    std::int64_t port = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), port);
    if (error == std::errc() && end == text->data() + text->size()) return port;
  }
  return std::nullopt;
}

// `,"remoteEndpoint":{...}` for CLIENT and PRODUCER spans, from the best-ranked attribute present.
void append_remote_endpoint(std::string& out, const SpanData& span) {
  if (span.kind != SpanKind::client && span.kind != SpanKind::producer) return;
  for (const auto& source : remote_endpoint_sources) {
    const AttributeValue* value = span.find_attribute(source.address);
    const std::string* address = value != nullptr ? value->get_if<std::string>() : nullptr;
    if (address == nullptr || address->empty()) continue;
    unsigned char binary[16];
    std::string_view key = "serviceName";
    if (source.address != "peer.service") {
      if (inet_pton(AF_INET, address->c_str(), binary) == 1)
        key = "ipv4";
      else if (inet_pton(AF_INET6, address->c_str(), binary) == 1)
        key = "ipv6";
    }
    out += ",\"remoteEndpoint\":{\"";
    out += key;
    out += "\":";
    detail::append_json_literal(out, *address);
    if (auto port = port_of(span, source.port); port && *port > 0 && *port <= 65535) {
      out += ",\"port\":";
      detail::append_signed(out, *port);
    }
    out += '}';
    return;
  }
}

// The mapping says a boolean `error` that is false should go: Zipkin reads any `error` tag as
// a failure.
bool is_false_error(const Attribute& attribute) {
  if (attribute.key != "error") return false;
  if (const auto* flag = attribute.value.get_if<bool>()) return !*flag;
  const auto* text = attribute.value.get_if<std::string>();
  return text != nullptr && *text == "false";
}

class ZipkinEncoder final : public SpanEncoder {
 public:
  std::string_view content_type() const noexcept override { return "application/json"; }

  bool encode(const Resource& resource, std::span<const SpanData* const> spans, std::string& out,
              std::size_t limit) override {
    out.clear();
    local_endpoint_.clear();
    local_endpoint_ += ",\"localEndpoint\":{\"serviceName\":";
    detail::append_json_literal(local_endpoint_, resource.service_name());
    local_endpoint_ += '}';
    out += '[';
    for (std::size_t index = 0; index < spans.size(); ++index) {
      if (index > 0) out += ',';
      append_span(out, *spans[index]);
    }
    out += ']';
    return out.size() <= limit;
  }

 private:
  void append_span(std::string& out, const SpanData& span) {
    out += "{\"traceId\":";
    detail::append_hex_id(out, span.context.trace_id);
    out += ",\"id\":";
    detail::append_hex_id(out, span.context.span_id);
    if (span.has_parent()) {
      out += ",\"parentId\":";
      detail::append_hex_id(out, span.parent_span_id);
    }
    if (auto kind = zipkin_kind(span.kind); !kind.empty()) {
      out += ",\"kind\":\"";
      out += kind;
      out += '"';
    }
    out += ",\"name\":";
    detail::append_json_literal(out, span.name);
    out += ",\"timestamp\":";
    detail::append_signed(out, micros(span.start_time));
    // Whole microseconds; Zipkin rounds durations under one up to one.
    const auto duration =
        std::chrono::duration_cast<std::chrono::microseconds>(span.duration()).count();
    out += ",\"duration\":";
    detail::append_signed(out, std::max<std::int64_t>(duration, 1));
    out += local_endpoint_;
    append_remote_endpoint(out, span);
    append_annotations(out, span);
    append_tags(out, span);
    out += '}';
  }

  void append_annotations(std::string& out, const SpanData& span) {
    if (span.events.empty()) return;
    out += ",\"annotations\":[";
    for (std::size_t index = 0; index < span.events.size(); ++index) {
      const Event& event = span.events[index];
      if (index > 0) out += ',';
      out += "{\"timestamp\":";
      detail::append_signed(out, micros(event.time));
      out += ",\"value\":";
      // "name":{"key":value,...} as the mapping shows it, then escaped as one JSON string.
      scratch_.clear();
      detail::append_json_literal(scratch_, event.name);
      scratch_ += ":{";
      for (std::size_t attribute = 0; attribute < event.attributes.size(); ++attribute) {
        if (attribute > 0) scratch_ += ',';
        detail::append_json_literal(scratch_, event.attributes[attribute].key);
        scratch_ += ':';
        detail::append_attribute_json(scratch_, event.attributes[attribute].value);
      }
      scratch_ += '}';
      detail::append_json_literal(out, scratch_);
      out += '}';
    }
    out += ']';
  }

  void append_tags(std::string& out, const SpanData& span) {
    const detail::ExtraTags extra(span, detail::ExtraTags::Format::zipkin);
    bool first = true;
    auto open_tag = [&](std::string_view key) {
      out += first ? ",\"tags\":{" : ",";
      first = false;
      detail::append_json_literal(out, key);
      out += ':';
    };
    for (const Attribute& attribute : span.attributes) {
      if (extra.replaces(attribute.key) || is_false_error(attribute)) continue;
      open_tag(attribute.key);
      scratch_.clear();
      detail::append_attribute_text(scratch_, attribute.value);
      detail::append_json_literal(out, scratch_);
    }
    for (const detail::ExtraTag& tag : extra.tags()) {
      open_tag(tag.key);
      if (tag.type == detail::ExtraTag::Type::count) {
        out += '"';
        detail::append_unsigned(out, tag.count);
        out += '"';
      } else {
        detail::append_json_literal(out, tag.text);
      }
    }
    if (!first) out += '}';
  }

  std::string local_endpoint_;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<SpanEncoder> make_zipkin_encoder() {
  return std::make_unique<ZipkinEncoder>();
}

Expected<std::unique_ptr<SpanExporter>> make_zipkin_exporter(const ZipkinExporterSettings& settings,
                                                             HttpExporterOptions options) {
  auto transport =
      detail::make_exporter_transport("zipkin", detail::ExporterEndpoint::of(settings), options);
  if (!transport) return transport.error();
  detail::HttpSpanExporter::Parts parts{"zipkin", make_zipkin_encoder(), std::move(*transport),
                                        settings.timeout, std::move(options)};
  return std::unique_ptr<SpanExporter>(
      std::make_unique<detail::HttpSpanExporter>(std::move(parts)));
}

}  // namespace tachi_trace
