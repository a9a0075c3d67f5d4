#include <cstdlib>
#include <map>

#include "tachi_trace/config.hpp"

namespace tachi_trace {

namespace {

using enum VariableType;

constexpr VariableSpec library_variables[] = {
    {"OTEL_SDK_DISABLED", boolean, "false", "",
     "true disables tracing: no spans are made or exported"},
    {"OTEL_SERVICE_NAME", text, "unknown_service:<executable>", "",
     "service.name of the resource (wins over OTEL_RESOURCE_ATTRIBUTES)"},
    {"OTEL_RESOURCE_ATTRIBUTES", key_value_list, "", "",
     "resource attributes as key=value pairs, values percent-encoded"},
    {"OTEL_TRACES_SAMPLER", choice, "parentbased_always_on",
     "always_on|always_off|traceidratio|parentbased_always_on|parentbased_always_off|parentbased_"
     "traceidratio",
     "which sampler decides whether a span is recorded"},
    {"OTEL_TRACES_SAMPLER_ARG", ratio, "1.0", "", "sampling ratio for the traceidratio samplers"},
    {"OTEL_TRACES_EXPORTER", choice_list, "otlp", "otlp|zipkin|jaeger|console|none",
     "exporters to send spans to, comma-separated"},
    {"OTEL_PROPAGATORS", choice_list, "tracecontext,baggage",
     "tracecontext|baggage|b3|b3multi|jaeger|none", "context propagation formats, comma-separated"},
    {"OTEL_BSP_SCHEDULE_DELAY", milliseconds, "5000", "", "longest wait between two exports"},
    {"OTEL_BSP_EXPORT_TIMEOUT", milliseconds, "30000", "",
     "longest time one export may take (0: no limit)"},
    {"OTEL_BSP_MAX_QUEUE_SIZE", count, "2048", "",
     "spans each producing thread may queue; more are dropped and counted"},
    {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", count, "512", "",
     "largest batch per export (at most the queue size)"},
    {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", count, "no limit", "",
     "longest attribute string, in bytes"},
    {"OTEL_ATTRIBUTE_COUNT_LIMIT", count, "128", "", "most attributes on a span, event or link"},
    {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", count, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "",
     "longest span attribute string, in bytes"},
    {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", count, "OTEL_ATTRIBUTE_COUNT_LIMIT", "",
     "most attributes on a span"},
    {"OTEL_SPAN_EVENT_COUNT_LIMIT", count, "128", "", "most events on a span"},
    {"OTEL_SPAN_LINK_COUNT_LIMIT", count, "128", "", "most links on a span"},
    {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", count, "OTEL_ATTRIBUTE_COUNT_LIMIT", "",
     "most attributes on an event"},
    {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", count, "OTEL_ATTRIBUTE_COUNT_LIMIT", "",
     "most attributes on a link"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT", url, "http://localhost:4318", "",
     "OTLP base URL; v1/traces is appended"},
    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url, "", "", "OTLP traces URL, used as given"},
    {"OTEL_EXPORTER_OTLP_PROTOCOL", choice, "http/protobuf", "http/protobuf|http/json",
     "OTLP encoding"},
    {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", choice, "", "http/protobuf|http/json",
     "OTLP encoding for traces"},
    {"OTEL_EXPORTER_OTLP_HEADERS", key_value_list, "", "",
     "extra request headers, key=value pairs, values percent-encoded (never logged)"},
    {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", key_value_list, "", "",
     "extra request headers for traces (never logged)"},
    {"OTEL_EXPORTER_OTLP_COMPRESSION", choice, "none", "none|gzip", "request body compression"},
    {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", choice, "", "none|gzip",
     "request body compression for traces"},
    {"OTEL_EXPORTER_OTLP_TIMEOUT", milliseconds, "10000", "",
     "longest time one OTLP request may take (0: no limit)"},
    {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", milliseconds, "", "", "the same, for traces"},
    {"OTEL_EXPORTER_OTLP_CERTIFICATE", file_path, "", "",
     "PEM file of trusted CA certificates for https (default: system store)"},
    {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", file_path, "", "", "the same, for traces"},
    {"OTEL_EXPORTER_OTLP_CLIENT_KEY", file_path, "", "", "PEM private key for mutual TLS"},
    {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", file_path, "", "", "the same, for traces"},
    {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", file_path, "", "",
     "PEM client certificate for mutual TLS"},
    {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", file_path, "", "", "the same, for traces"},
    {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", url, "http://localhost:9411/api/v2/spans", "",
     "Zipkin v2 spans URL"},
    {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", milliseconds, "10000", "",
     "longest time one Zipkin request may take (0: no limit)"},
    {"OTEL_EXPORTER_JAEGER_ENDPOINT", url, "http://localhost:14268/api/traces", "",
     "Jaeger collector Thrift-over-HTTP URL"},
    {"OTEL_EXPORTER_JAEGER_TIMEOUT", milliseconds, "10000", "",
     "longest time one Jaeger request may take (0: no limit)"},
    {"OTEL_EXPORTER_JAEGER_USER", text, "", "",
     "user name for HTTP Basic authentication to the Jaeger collector (no ':')"},
    {"OTEL_EXPORTER_JAEGER_PASSWORD", text, "", "",
     "password for HTTP Basic authentication to the Jaeger collector, with the user (never "
     "logged)"},
    {"HTTPS_PROXY", url, "", "",
     "http:// proxy (credentials allowed) for https endpoints, reached through CONNECT; also "
     "https_proxy, which wins"},
    {"HTTP_PROXY", url, "", "",
     "http:// proxy for http endpoints; also http_proxy, which wins (HTTP_PROXY is ignored when "
     "REQUEST_METHOD is set, as in CGI programs)"},
    {"NO_PROXY", text, "", "",
     "hosts reached directly: names (covering their subdomains), addresses, CIDR blocks, "
     "host:port, or *; also no_proxy, which wins"},
    {"OTEL_METRICS_EXEMPLAR_FILTER", choice, "trace_based", "trace_based|always_on|always_off",
     "which histogram observations may become exemplars: those inside a sampled span, all, or "
     "none"},
    {"OTEL_LOG_LEVEL", choice, "info", "none|error|warn|info|debug",
     "least severe of the library's own messages written to standard error (export failures are "
     "error, a backend's warnings warn, recovery after failures info, one line per export "
     "debug); any case"},
    {"TACHI_CONSOLE_FORMAT", choice, "text", "text|json",
     "console exporter output: readable lines or JSON lines"},
    {"TACHI_HTTP_SERVER_TIMING", boolean, "false", "",
     "true adds a server-timing response header (trace;desc=00-...) carrying the server span's "
     "context"},
    {"TACHI_HTTP_SERVER_4XX_IS_ERROR", boolean, "false", "",
     "true marks HTTP SERVER spans answered with a 4xx status Error (the HTTP semantic conventions "
     "leave them Unset: the client erred, not the server)"},
};

std::string_view type_name(VariableType type) {
  switch (type) {
    case boolean:
      return "boolean";
    case count:
      return "integer";
    case milliseconds:
      return "milliseconds";
    case ratio:
      return "number 0-1";
    case text:
      return "string";
    case url:
      return "URL";
    case file_path:
      return "file path";
    case choice:
      return "one of";
    case choice_list:
      return "list of";
    case key_value_list:
      return "key=value,...";
  }
  return "string";
}

std::string describe_type(const VariableSpec& spec) {
  std::string type(type_name(spec.type));
  if (!spec.choices.empty()) type.append(" ").append(spec.choices);

  return type;
}

}  // namespace

std::span<const VariableSpec> environment_variables() noexcept {
  return library_variables;
}

std::string format_environment_help(std::span<const VariableSpec> variables) {
  std::string help = "Environment variables:\n";
  for (const auto& spec : variables) {
    help += "  " + std::string(spec.name) + " (" + describe_type(spec) + ")\n      " +
            std::string(spec.meaning);
    if (!spec.default_value.empty()) help += " [default: " + std::string(spec.default_value) + "]";
    help += "\n";
  }
  return help;
}

std::string format_environment_markdown(std::span<const VariableSpec> variables) {
  std::string table = "| Variable | Type | Default | Meaning |\n|---|---|---|---|\n";
  for (const auto& spec : variables) {
    std::string type = describe_type(spec);
    for (std::size_t at = type.find('|'); at != std::string::npos; at = type.find('|', at + 2))
      type.replace(at, 1, "\\|");
    table.append("| `").append(spec.name).append("` | ").append(type).append(" | ");
    if (!spec.default_value.empty()) table.append("`").append(spec.default_value).append("`");
    table.append(" | ").append(spec.meaning).append(" |\n");
  }
  return table;
}

Environment Environment::process() {
  return Environment([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

Environment Environment::from_pairs(std::vector<std::pair<std::string, std::string>> pairs) {
  std::map<std::string, std::string, std::less<>> values(pairs.begin(), pairs.end());
  return Environment(
      [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        auto found = values.find(name);
        if (found == values.end()) return std::nullopt;
        return found->second;
      });
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto value = lookup_(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace tachi_trace
