// Configuration: every setting the library reads, from the OTEL_* environment and from code.
//
// One registry (`environment_variables()`) declares each variable: name, type, default and meaning.
// Parsing, `--help` text and the README table all come from it. The rules are the OpenTelemetry
// specification's: an empty value means unset; booleans are true only for a case-insensitive
// "true"; an unparsable number or unknown choice is reported as a diagnostic and the default is
// used; durations are milliseconds, and a timeout of 0 means no limit.
//
// `TracingConfig` holds what code says. Each field is a `Setting`: a value that the environment may
// override (plain assignment) or one that overrides the environment (`overriding_environment(v)`).
// `finalize_config` turns it, once, into a `FinalizedTracingConfig` — the only form components are
// built from. Bad values given in code are errors; bad values in the environment are warnings.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tachi_trace/attributes.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/exemplar_filter.hpp"
#include "tachi_trace/log_level.hpp"
#include "tachi_trace/proxy.hpp"
#include "tachi_trace/sampling.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace {

// ---- the registry -------------------------------------------------------------------------------

enum class VariableType : std::uint8_t {
  boolean,
  count,         // non-negative integer
  milliseconds,  // non-negative integer, 0 = no limit for timeouts
  ratio,         // number in [0, 1]
  text,
  url,
  file_path,
  choice,          // one of `choices`
  choice_list,     // comma-separated list of `choices`
  key_value_list,  // key1=value1,key2=value2 with percent-encoded values
};

struct VariableSpec {
  std::string_view name;
  VariableType type;
  std::string_view default_value;  // as shown to users; empty: none
  std::string_view choices;        // for choice types: "a|b|c"
  std::string_view meaning;
};

/// Every environment variable the library reads.
std::span<const VariableSpec> environment_variables() noexcept;
/// Plain-text help listing `variables` (for a program's --help).
std::string format_environment_help(std::span<const VariableSpec> variables);
/// The Markdown table of `variables`, as the README shows it.
std::string format_environment_markdown(std::span<const VariableSpec> variables);

/// Where variables are read from: the process environment, or anything a test provides.
class Environment {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

  explicit Environment(Lookup lookup) : lookup_(std::move(lookup)) {}
  static Environment process();
  static Environment from_pairs(std::vector<std::pair<std::string, std::string>> pairs);

  /// The variable's value; nullopt when unset or empty (the specification treats both alike).
  std::optional<std::string> get(std::string_view name) const;

 private:
  Lookup lookup_;
};

// ---- the settings
// ---------------------------------------------------------------------------------

enum class Precedence : std::uint8_t { environment_overrides_code, code_overrides_environment };

template <typename Value>
struct Setting {
  std::optional<Value> value;
  Precedence precedence = Precedence::environment_overrides_code;

  Setting() = default;
  Setting(Value given) : value(std::move(given)) {}
};

/// A setting given in code that the environment cannot change.
template <typename Value>
Setting<Value> overriding_environment(Value value) {
  Setting<Value> setting(std::move(value));
  setting.precedence = Precedence::code_overrides_environment;
  return setting;
}

enum class ExporterKind : std::uint8_t { otlp, zipkin, jaeger, console, none };
enum class OtlpProtocol : std::uint8_t { http_protobuf, http_json };
enum class Compression : std::uint8_t { none, gzip };
enum class PropagatorKind : std::uint8_t { tracecontext, baggage, b3, b3multi, jaeger };
enum class ConsoleFormat : std::uint8_t { text, json_lines };

std::string_view to_string(ExporterKind kind) noexcept;
std::string_view to_string(OtlpProtocol protocol) noexcept;
std::string_view to_string(Compression compression) noexcept;
std::string_view to_string(PropagatorKind kind) noexcept;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct OtlpExporterSettings {
  std::string endpoint = "http://localhost:4318/v1/traces";  // the full URL POSTed to
  OtlpProtocol protocol = OtlpProtocol::http_protobuf;
  HeaderList headers;  // percent-decoded; never logged
  Compression compression = Compression::none;
  std::chrono::milliseconds timeout{10000};  // 0 = no limit
  std::string certificate_file;              // PEM CA bundle for https; empty = system store
  std::string client_key_file;
  std::string client_certificate_file;
  // The proxy for `endpoint`, which finalize_config chooses from HTTPS_PROXY, HTTP_PROXY and
  // NO_PROXY; none: a direct connection.
  std::optional<HttpProxy> proxy;
};

// Zipkin and Jaeger have no standard variables for TLS files: set these in code. Without them, an
// https endpoint is verified against the system's CA store.
struct ZipkinExporterSettings {
  std::string endpoint = "http://localhost:9411/api/v2/spans";
  std::chrono::milliseconds timeout{10000};
  std::string certificate_file;  // PEM CA bundle for https; empty = system store
  std::string client_key_file;
  std::string client_certificate_file;
  std::optional<HttpProxy> proxy;  // as for OTLP
};

struct JaegerExporterSettings {
  std::string endpoint = "http://localhost:14268/api/traces";
  std::chrono::milliseconds timeout{10000};
  // HTTP Basic authentication to the collector, sent when `user` is set (never logged).
  std::string user;  // without ':'
  std::string password;
  std::string certificate_file;  // PEM CA bundle for https; empty = system store
  std::string client_key_file;
  std::string client_certificate_file;
  std::optional<HttpProxy> proxy;  // as for OTLP
};

struct ConsoleExporterSettings {
  ConsoleFormat format = ConsoleFormat::text;
};

struct TracingConfig {
  Setting<bool> sdk_disabled;
  Setting<std::string> service_name;
  Setting<Attributes> resource_attributes;  // merged over what OTEL_RESOURCE_ATTRIBUTES gives
  Setting<SamplerKind> sampler;
  Setting<double> sampler_ratio;
  Setting<std::vector<ExporterKind>> exporters;
  Setting<std::vector<PropagatorKind>> propagators;

  Setting<std::chrono::milliseconds> batch_schedule_delay;
  Setting<std::chrono::milliseconds> batch_export_timeout;
  Setting<std::uint32_t> batch_max_queue_size;
  Setting<std::uint32_t> batch_max_export_batch_size;

  Setting<std::uint32_t> span_attribute_count_limit;
  Setting<std::uint32_t> span_event_count_limit;
  Setting<std::uint32_t> span_link_count_limit;
  Setting<std::uint32_t> event_attribute_count_limit;
  Setting<std::uint32_t> link_attribute_count_limit;
  Setting<std::uint32_t> attribute_value_length_limit;

  Setting<std::string> otlp_endpoint;         // the base URL; "v1/traces" is appended
  Setting<std::string> otlp_traces_endpoint;  // used as given
  Setting<OtlpProtocol> otlp_protocol;
  Setting<HeaderList> otlp_headers;
  Setting<Compression> otlp_compression;
  Setting<std::chrono::milliseconds> otlp_timeout;
  Setting<std::string> otlp_certificate_file;
  Setting<std::string> otlp_client_key_file;
  Setting<std::string> otlp_client_certificate_file;

  Setting<std::string> zipkin_endpoint;
  Setting<std::chrono::milliseconds> zipkin_timeout;
  Setting<std::string> jaeger_endpoint;
  Setting<std::chrono::milliseconds> jaeger_timeout;
  Setting<std::string> jaeger_user;
  Setting<std::string> jaeger_password;  // needs a user
  Setting<ConsoleFormat> console_format;
  // Proxy URLs (parse_http_proxy) and the NO_PROXY list; an empty text means none. The variables
  // are also read in lower case (https_proxy, ...), which wins when both are set, as with curl.
  Setting<std::string> https_proxy;
  Setting<std::string> http_proxy;
  Setting<std::string> no_proxy;
  Setting<bool> http_server_timing;                 // TACHI_HTTP_SERVER_TIMING
  Setting<bool> http_server_4xx_is_error;           // TACHI_HTTP_SERVER_4XX_IS_ERROR
  Setting<ExemplarFilter> metrics_exemplar_filter;  // OTEL_METRICS_EXEMPLAR_FILTER
  Setting<LogLevel> log_level;                      // OTEL_LOG_LEVEL
};

/// A problem found in the environment, and what was used instead.
struct ConfigDiagnostic {
  std::string variable;
  std::string message;  // names the variable, the value received and the fallback used
};

class FinalizedTracingConfig {
 public:
  const ProviderSettings& provider() const noexcept { return provider_; }
  const std::vector<ExporterKind>& exporters() const noexcept { return exporters_; }
  const std::vector<PropagatorKind>& propagators() const noexcept { return propagators_; }
  SamplerKind sampler_kind() const noexcept { return sampler_kind_; }
  double sampler_ratio() const noexcept { return sampler_ratio_; }
  const OtlpExporterSettings& otlp() const noexcept { return otlp_; }
  const ZipkinExporterSettings& zipkin() const noexcept { return zipkin_; }
  const JaegerExporterSettings& jaeger() const noexcept { return jaeger_; }
  const ConsoleExporterSettings& console() const noexcept { return console_; }
  /// HTTPS_PROXY, HTTP_PROXY and NO_PROXY, for clients of your own (HttpClientOptions::proxies);
  /// the exporters' settings already hold the proxy for their endpoints.
  const ProxySettings& proxies() const noexcept { return proxies_; }
  /// TACHI_HTTP_SERVER_TIMING: whether HTTP servers return their span's context in a
  /// `server-timing` response header (see format_server_timing in propagation.hpp).
  bool http_server_timing() const noexcept { return http_server_timing_; }
  /// TACHI_HTTP_SERVER_4XX_IS_ERROR: whether HTTP SERVER spans answered with a 4xx status are
  /// marked Error. False by default, as the HTTP semantic conventions require (a 4xx is the
  /// client's error, not the server's).
  bool http_server_4xx_is_error() const noexcept { return http_server_4xx_is_error_; }
  /// OTEL_METRICS_EXEMPLAR_FILTER: which observations may become exemplars, for a
  /// MetricRegistry (metrics.hpp). trace_based by default.
  ExemplarFilter exemplar_filter() const noexcept { return exemplar_filter_; }
  /// OTEL_LOG_LEVEL: the least severe of the library's own messages that are shown (info by
  /// default; off for none). The exporters made from this configuration report export failures
  /// as errors and a backend's warnings as warn; warnings about the configuration itself, in
  /// diagnostics(), are warn for whoever shows them.
  LogLevel log_level() const noexcept { return log_level_; }
  /// Warnings about the environment; empty when every variable was understood.
  const std::vector<ConfigDiagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  FinalizedTracingConfig() = default;
  friend class ConfigFinalizer;

  ProviderSettings provider_;
  std::vector<ExporterKind> exporters_;
  std::vector<PropagatorKind> propagators_;
  SamplerKind sampler_kind_ = SamplerKind::parentbased_always_on;
  double sampler_ratio_ = 1.0;
  OtlpExporterSettings otlp_;
  ZipkinExporterSettings zipkin_;
  JaegerExporterSettings jaeger_;
  ConsoleExporterSettings console_;
  ProxySettings proxies_;
  bool http_server_timing_ = false;
  bool http_server_4xx_is_error_ = false;
  ExemplarFilter exemplar_filter_ = ExemplarFilter::trace_based;
  LogLevel log_level_ = LogLevel::info;
  std::vector<ConfigDiagnostic> diagnostics_;
};

/// Resolves every setting from `config` and `environment`. Fails only for invalid values given in
/// code; problems in the environment become diagnostics.
Expected<FinalizedTracingConfig> finalize_config(const TracingConfig& config,
                                                 const Environment& environment);
Expected<FinalizedTracingConfig> finalize_config(const TracingConfig& config = {});

}  // namespace tachi_trace
