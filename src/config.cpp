#include "tachi_trace/config.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "config_values.hpp"
#include "tachi_trace/url.hpp"

namespace tachi_trace {

namespace {

using std::chrono::milliseconds;

/// How one kind of value is read from the environment, checked when given in code, and named in
/// messages.
template <typename Value>
struct Rule {
  std::string_view expectation;  // completes "X must be ..."
  std::function<std::optional<Value>(std::string_view)> parse;
  std::function<bool(const Value&)> valid;
  std::function<std::string(const Value&)> describe;
  bool secret = false;  // never repeat the received text in messages
};

std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result.append("\"").append(text).append("\"");
  return result;
}

Rule<bool> boolean_rule() {
  return {"true or false",
          [](std::string_view text) -> std::optional<bool> {
            const std::string lower = detail::lower_case(detail::trim_white_space(text));
            if (lower == "true") return true;
            if (lower == "false") return false;
            return std::nullopt;
          },
          [](const bool&) { return true; },
          [](const bool& value) { return value ? "true" : "false"; }};
}

Rule<std::uint32_t> count_rule(std::uint32_t minimum) {
  return {minimum == 0 ? "a non-negative integer" : "a positive integer",
          [minimum](std::string_view text) -> std::optional<std::uint32_t> {
            auto value = detail::parse_unsigned(text);
            if (!value || *value < minimum || *value > SpanLimits::unlimited) return std::nullopt;
            return static_cast<std::uint32_t>(*value);
          },
          [minimum](const std::uint32_t& value) { return value >= minimum; },
          [](const std::uint32_t& value) {
            return value == SpanLimits::unlimited ? std::string("no limit") : std::to_string(value);
          }};
}

Rule<milliseconds> milliseconds_rule() {
  return {"a non-negative integer number of milliseconds",
          [](std::string_view text) -> std::optional<milliseconds> {
            auto value = detail::parse_unsigned(text);
            if (!value || *value > 1'000'000'000'000ULL) return std::nullopt;
            return milliseconds(static_cast<std::int64_t>(*value));
          },
          [](const milliseconds& value) { return value.count() >= 0; },
          [](const milliseconds& value) { return std::to_string(value.count()) + " ms"; }};
}

Rule<double> ratio_rule() {
  return {"a number between 0 and 1",
          [](std::string_view text) -> std::optional<double> {
            auto value = detail::parse_double(text);
            if (!value || *value < 0.0 || *value > 1.0) return std::nullopt;
            return value;
          },
          [](const double& value) { return value >= 0.0 && value <= 1.0; },
          [](const double& value) {
            char text[32];
            std::snprintf(text, sizeof text, "%g", value);
            return std::string(text);
          }};
}

Rule<std::string> url_rule() {
  return {"an http:// or https:// URL",
          [](std::string_view text) -> std::optional<std::string> {
            std::string_view trimmed = detail::trim_white_space(text);
            if (!parse_http_url(trimmed)) return std::nullopt;
            return std::string(trimmed);
          },
          [](const std::string& value) { return static_cast<bool>(parse_http_url(value)); },
          [](const std::string& value) { return value; }};
}

Rule<std::string> text_rule() {
  return {"text", [](std::string_view text) { return std::optional<std::string>(text); },
          [](const std::string&) { return true; }, [](const std::string& value) { return value; }};
}

// RFC 7617: the user-id of Basic credentials cannot hold a colon, nor any credential a control
// character.
bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char character) { return character < 0x20 || character == 0x7f; });
}

Rule<std::string> basic_user_rule() {
  auto valid = [](const std::string& user) {
    return user.find(':') == std::string::npos && !has_control_character(user);
  };
  return {"a user name without ':' or control characters",
          [valid](std::string_view text) -> std::optional<std::string> {
            std::string user(text);
            if (!valid(user)) return std::nullopt;
            return user;
          },
          valid, [](const std::string& user) { return user.empty() ? "none" : quoted(user); }};
}

Rule<std::string> basic_password_rule() {
  return {"a password without control characters",
          [](std::string_view text) -> std::optional<std::string> {
            if (has_control_character(text)) return std::nullopt;
            return std::string(text);
          },
          [](const std::string& password) { return !has_control_character(password); },
          [](const std::string& password) { return password.empty() ? "none" : "REDACTED"; }, true};
}

/// `rule`, reading its text in lower case.
template <typename Value>
Rule<Value> any_case(Rule<Value> rule) {
  rule.parse = [parse = std::move(rule.parse)](std::string_view text) {
    return parse(detail::lower_case(text));
  };
  return rule;
}

template <typename Kind>
Rule<Kind> choice_rule(std::string_view expectation,
                       std::vector<std::pair<std::string_view, Kind>> choices) {
  return {expectation,
          [choices](std::string_view text) -> std::optional<Kind> {
            std::string_view trimmed = detail::trim_white_space(text);
            for (const auto& [name, kind] : choices)
              if (name == trimmed) return kind;
            return std::nullopt;
          },
          [](const Kind&) { return true; },
          [choices](const Kind& value) {
            for (const auto& [name, kind] : choices)
              if (kind == value) return std::string(name);
            return std::string("?");
          }};
}

}  // namespace

/// Resolves each setting from code and environment, collecting diagnostics. Its `run` builds the
/// one FinalizedTracingConfig.
class ConfigFinalizer {
 public:
  ConfigFinalizer(const TracingConfig& config, const Environment& environment)
      : config_(config), environment_(environment) {}

  Expected<FinalizedTracingConfig> run();

 private:
  template <typename Value>
  Value resolve(const Setting<Value>& setting, std::string_view variable, Value default_value,
                const Rule<Value>& rule);
  template <typename Value>
  std::optional<Value> from_environment(std::string_view variable, const Rule<Value>& rule,
                                        const std::string& fallback_text);
  void warn(std::string_view variable, std::string message) {
    result_.diagnostics_.push_back({std::string(variable), std::move(message)});
  }

  void resolve_provider();
  Resource resolve_resource();
  void resolve_sampler();
  SpanLimits resolve_limits();
  BatchSettings resolve_batch();
  void resolve_exporter_list();
  void resolve_propagators();
  void resolve_otlp();
  HeaderList resolve_headers();
  void warn_about_grpc_port(const std::string& endpoint);
  void resolve_other_exporters();
  void resolve_jaeger_credentials();
  void resolve_proxies();
  std::optional<HttpProxy> resolve_proxy(const Setting<std::string>& setting,
                                         std::string_view variable);
  NoProxyRules resolve_no_proxy();
  std::optional<std::pair<std::string, std::string>> proxy_variable(std::string_view variable);

  const TracingConfig& config_;
  const Environment& environment_;
  FinalizedTracingConfig result_;
  std::optional<Error> code_error_;
};

template <typename Value>
std::optional<Value> ConfigFinalizer::from_environment(std::string_view variable,
                                                       const Rule<Value>& rule,
                                                       const std::string& fallback_text) {
  auto text = environment_.get(variable);
  if (!text) return std::nullopt;
  if (auto parsed = rule.parse(*text)) return parsed;
  std::string received = rule.secret ? "a malformed value" : quoted(*text);
  warn(variable, std::string(variable) + " must be " + std::string(rule.expectation) +
                     ", but got " + received + "; using " + fallback_text);
  return std::nullopt;
}

template <typename Value>
Value ConfigFinalizer::resolve(const Setting<Value>& setting, std::string_view variable,
                               Value default_value, const Rule<Value>& rule) {
  if (setting.value && !rule.valid(*setting.value) && !code_error_) {
    code_error_ =
        Error{Error::Code::invalid_configuration,
              std::string(variable) + " (set in code) must be " + std::string(rule.expectation) +
                  ", but got " + rule.describe(*setting.value)};
  }
  const Value fallback = setting.value.value_or(std::move(default_value));
  if (setting.value && setting.precedence == Precedence::code_overrides_environment)
    return fallback;
  return from_environment(variable, rule, rule.describe(fallback)).value_or(fallback);
}

Expected<FinalizedTracingConfig> ConfigFinalizer::run() {
  result_.provider_.disabled =
      resolve(config_.sdk_disabled, "OTEL_SDK_DISABLED", false, boolean_rule());
  resolve_provider();
  resolve_exporter_list();
  resolve_propagators();
  result_.http_server_timing_ =
      resolve(config_.http_server_timing, "TACHI_HTTP_SERVER_TIMING", false, boolean_rule());
  result_.http_server_4xx_is_error_ = resolve(
      config_.http_server_4xx_is_error, "TACHI_HTTP_SERVER_4XX_IS_ERROR", false, boolean_rule());
  result_.exemplar_filter_ = resolve(
      config_.metrics_exemplar_filter, "OTEL_METRICS_EXEMPLAR_FILTER", ExemplarFilter::trace_based,
      choice_rule<ExemplarFilter>("one of trace_based, always_on, always_off",
                                  {{"trace_based", ExemplarFilter::trace_based},
                                   {"always_on", ExemplarFilter::always_on},
                                   {"always_off", ExemplarFilter::always_off}}));
  result_.log_level_ =
      resolve(config_.log_level, "OTEL_LOG_LEVEL", LogLevel::info,
              any_case(choice_rule<LogLevel>("one of none, error, warn, info, debug (any case)",
                                             {{"none", LogLevel::off},
                                              {"error", LogLevel::error},
                                              {"warn", LogLevel::warn},
                                              {"info", LogLevel::info},
                                              {"debug", LogLevel::debug}})));
  resolve_otlp();
  resolve_other_exporters();
  resolve_proxies();
  if (code_error_) return *code_error_;
  return std::move(result_);
}

void ConfigFinalizer::resolve_provider() {
  result_.provider_.resource = resolve_resource();
  resolve_sampler();
  result_.provider_.limits = resolve_limits();
  result_.provider_.batch = resolve_batch();
}

Resource ConfigFinalizer::resolve_resource() {
  Resource resource = detect_process_resource();
  const Attributes code_attributes = config_.resource_attributes.value.value_or(Attributes{});
  const bool code_wins =
      config_.resource_attributes.precedence == Precedence::code_overrides_environment;
  Attributes environment_attributes;
  if (auto text = environment_.get("OTEL_RESOURCE_ATTRIBUTES")) {
    auto parsed = detail::parse_key_value_list(*text);
    if (parsed.malformed.empty()) {
      for (auto& [key, value] : parsed.entries)
        environment_attributes.push_back({key, AttributeValue(value)});
    } else {
      warn("OTEL_RESOURCE_ATTRIBUTES",
           "OTEL_RESOURCE_ATTRIBUTES must be key=value pairs with percent-encoded values, but "
           "entry " +
               std::to_string(parsed.malformed.front()) + " of " + quoted(*text) +
               " is malformed; using none of it");
    }
  }
  resource = code_wins ? resource.merged_with(environment_attributes).merged_with(code_attributes)
                       : resource.merged_with(code_attributes).merged_with(environment_attributes);
  const std::string current_name(resource.service_name());
  const std::string service_name =
      resolve(config_.service_name, "OTEL_SERVICE_NAME", current_name, text_rule());
  return resource.merged_with({{"service.name", service_name}});
}

void ConfigFinalizer::resolve_sampler() {
  auto kinds = choice_rule<SamplerKind>(
      "one of always_on, always_off, traceidratio, parentbased_always_on, "
      "parentbased_always_off, parentbased_traceidratio",
      {{"always_on", SamplerKind::always_on},
       {"always_off", SamplerKind::always_off},
       {"traceidratio", SamplerKind::traceidratio},
       {"parentbased_always_on", SamplerKind::parentbased_always_on},
       {"parentbased_always_off", SamplerKind::parentbased_always_off},
       {"parentbased_traceidratio", SamplerKind::parentbased_traceidratio}});
  const SamplerKind kind =
      resolve(config_.sampler, "OTEL_TRACES_SAMPLER", SamplerKind::parentbased_always_on, kinds);
  const bool uses_ratio =
      kind == SamplerKind::traceidratio || kind == SamplerKind::parentbased_traceidratio;
  double ratio = 1.0;
  if (uses_ratio)
    ratio = resolve(config_.sampler_ratio, "OTEL_TRACES_SAMPLER_ARG", 1.0, ratio_rule());
  result_.sampler_kind_ = kind;
  result_.sampler_ratio_ = ratio;
  auto sampler = make_sampler(kind, std::clamp(ratio, 0.0, 1.0));
  if (sampler) result_.provider_.sampler = *sampler;
}

SpanLimits ConfigFinalizer::resolve_limits() {
  const auto counts = count_rule(0);
  SpanLimits limits;
  const std::uint32_t general_count =
      resolve(Setting<std::uint32_t>{}, "OTEL_ATTRIBUTE_COUNT_LIMIT", 128u, counts);
  const std::uint32_t general_length =
      resolve(config_.attribute_value_length_limit, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
              SpanLimits::unlimited, counts);
  limits.attribute_value_length = resolve(
      Setting<std::uint32_t>{}, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", general_length, counts);
  limits.attribute_count = resolve(config_.span_attribute_count_limit,
                                   "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", general_count, counts);
  limits.event_count =
      resolve(config_.span_event_count_limit, "OTEL_SPAN_EVENT_COUNT_LIMIT", 128u, counts);
  limits.link_count =
      resolve(config_.span_link_count_limit, "OTEL_SPAN_LINK_COUNT_LIMIT", 128u, counts);
  limits.attributes_per_event = resolve(config_.event_attribute_count_limit,
                                        "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", general_count, counts);
  limits.attributes_per_link = resolve(config_.link_attribute_count_limit,
                                       "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", general_count, counts);
  return limits;
}

BatchSettings ConfigFinalizer::resolve_batch() {
  BatchSettings batch;
  batch.schedule_delay = resolve(config_.batch_schedule_delay, "OTEL_BSP_SCHEDULE_DELAY",
                                 milliseconds(5000), milliseconds_rule());
  batch.export_timeout = resolve(config_.batch_export_timeout, "OTEL_BSP_EXPORT_TIMEOUT",
                                 milliseconds(30000), milliseconds_rule());
  batch.max_queue_size =
      resolve(config_.batch_max_queue_size, "OTEL_BSP_MAX_QUEUE_SIZE", 2048u, count_rule(1));
  batch.max_export_batch_size = resolve(config_.batch_max_export_batch_size,
                                        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512u, count_rule(1));
  if (batch.max_export_batch_size > batch.max_queue_size) {
    warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
         "OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE (" +
             std::to_string(batch.max_queue_size) + "), but got " +
             std::to_string(batch.max_export_batch_size) + "; using " +
             std::to_string(batch.max_queue_size));
    batch.max_export_batch_size = batch.max_queue_size;
  }
  return batch;
}

void ConfigFinalizer::resolve_exporter_list() {
  static const std::vector<std::pair<std::string_view, ExporterKind>> names = {
      {"otlp", ExporterKind::otlp},       {"zipkin", ExporterKind::zipkin},
      {"jaeger", ExporterKind::jaeger},   {"console", ExporterKind::console},
      {"logging", ExporterKind::console}, {"none", ExporterKind::none}};
  std::vector<ExporterKind> kinds =
      config_.exporters.value.value_or(std::vector<ExporterKind>{ExporterKind::otlp});
  auto text = environment_.get("OTEL_TRACES_EXPORTER");
  if (text && config_.exporters.precedence == Precedence::environment_overrides_code) {
    std::vector<ExporterKind> parsed;
    for (std::string_view name : detail::split_list(*text)) {
      auto known = std::find_if(names.begin(), names.end(),
                                [&](const auto& entry) { return entry.first == name; });
      if (known == names.end()) {
        warn("OTEL_TRACES_EXPORTER", "OTEL_TRACES_EXPORTER names an unknown exporter " +
                                         quoted(name) +
                                         " (known: otlp, zipkin, jaeger, console, "
                                         "none); it is ignored");
      } else if (std::find(parsed.begin(), parsed.end(), known->second) == parsed.end()) {
        parsed.push_back(known->second);
      }
    }
    if (!parsed.empty()) kinds = parsed;
  }
  // "none" alone means no exporter; beside others it adds nothing.
  std::erase(kinds, ExporterKind::none);
  result_.exporters_ = kinds;
}

void ConfigFinalizer::resolve_propagators() {
  static const std::vector<std::pair<std::string_view, std::optional<PropagatorKind>>> names = {
      {"tracecontext", PropagatorKind::tracecontext},
      {"baggage", PropagatorKind::baggage},
      {"b3", PropagatorKind::b3},
      {"b3multi", PropagatorKind::b3multi},
      {"jaeger", PropagatorKind::jaeger},
      {"none", std::nullopt}};
  std::vector<PropagatorKind> kinds = config_.propagators.value.value_or(
      std::vector<PropagatorKind>{PropagatorKind::tracecontext, PropagatorKind::baggage});
  auto text = environment_.get("OTEL_PROPAGATORS");
  if (text && config_.propagators.precedence == Precedence::environment_overrides_code) {
    std::vector<PropagatorKind> parsed;
    for (std::string_view name : detail::split_list(*text)) {
      auto known = std::find_if(names.begin(), names.end(),
                                [&](const auto& entry) { return entry.first == name; });
      if (known == names.end()) {
        warn("OTEL_PROPAGATORS", "OTEL_PROPAGATORS names an unknown propagator " + quoted(name) +
                                     " (known: tracecontext, baggage, b3, b3multi, jaeger, "
                                     "none); it is ignored");
      } else if (known->second &&
                 std::find(parsed.begin(), parsed.end(), *known->second) == parsed.end()) {
        parsed.push_back(*known->second);
      }
    }
    kinds = parsed;
  }
  result_.propagators_ = kinds;
}

void ConfigFinalizer::resolve_otlp() {
  OtlpExporterSettings& otlp = result_.otlp_;
  const auto urls = url_rule();
  // The signal-specific variable wins over the general one; each default is the general value.
  auto resolve_pair = [&](const auto& setting, std::string_view general, std::string_view traces,
                          auto default_value, const auto& rule) {
    auto value = resolve(setting, general, default_value, rule);
    return resolve(setting, traces, value, rule);
  };
  const std::string base = resolve(config_.otlp_endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT",
                                   std::string("http://localhost:4318"), urls);
  const std::string from_base = base + (base.ends_with('/') ? "" : "/") + "v1/traces";
  otlp.endpoint =
      resolve(config_.otlp_traces_endpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", from_base, urls);
  warn_about_grpc_port(otlp.endpoint);
  // grpc is a standard value this library does not implement (OTLP/gRPC needs HTTP/2): the
  // expectation says so, and where the HTTP transport listens.
  auto protocols = choice_rule<OtlpProtocol>(
      "one of http/protobuf, http/json (grpc is not supported: OTLP/gRPC needs HTTP/2; "
      "collectors serve OTLP/HTTP on port 4318)",
      {{"http/protobuf", OtlpProtocol::http_protobuf}, {"http/json", OtlpProtocol::http_json}});
  otlp.protocol =
      resolve_pair(config_.otlp_protocol, "OTEL_EXPORTER_OTLP_PROTOCOL",
                   "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", OtlpProtocol::http_protobuf, protocols);
  auto compressions = choice_rule<Compression>(
      "one of none, gzip", {{"none", Compression::none}, {"gzip", Compression::gzip}});
  otlp.compression =
      resolve_pair(config_.otlp_compression, "OTEL_EXPORTER_OTLP_COMPRESSION",
                   "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", Compression::none, compressions);
  otlp.timeout =
      resolve_pair(config_.otlp_timeout, "OTEL_EXPORTER_OTLP_TIMEOUT",
                   "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", milliseconds(10000), milliseconds_rule());
  const auto paths = text_rule();
  otlp.certificate_file =
      resolve_pair(config_.otlp_certificate_file, "OTEL_EXPORTER_OTLP_CERTIFICATE",
                   "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", std::string(), paths);
  otlp.client_key_file = resolve_pair(config_.otlp_client_key_file, "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                                      "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", std::string(), paths);
  otlp.client_certificate_file =
      resolve_pair(config_.otlp_client_certificate_file, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                   "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", std::string(), paths);
  otlp.headers = resolve_headers();
}

HeaderList ConfigFinalizer::resolve_headers() {
  HeaderList headers = config_.otlp_headers.value.value_or(HeaderList{});
  if (config_.otlp_headers.precedence == Precedence::code_overrides_environment) return headers;
  for (std::string_view variable :
       {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    auto text = environment_.get(variable);
    if (!text) continue;
    auto parsed = detail::parse_key_value_list(*text);
    for (std::size_t position : parsed.malformed) {
      // The value may hold an API key: say where the problem is, never what it is.
      warn(variable, std::string(variable) +
                         " must be key=value pairs with percent-encoded "
                         "values, but entry " +
                         std::to_string(position) + " is malformed; that entry is skipped");
    }
    for (auto& entry : parsed.entries) {
      auto same = std::find_if(headers.begin(), headers.end(),
                               [&](const auto& header) { return header.first == entry.first; });
      if (same != headers.end())
        same->second = entry.second;
      else
        headers.push_back(entry);
    }
  }
  return headers;
}

void ConfigFinalizer::warn_about_grpc_port(const std::string& endpoint) {
  // Port 4317 is where collectors serve OTLP/gRPC, the default of many other SDKs: HTTP/1.1 sent
  // there fails on every export with a reason that does not name the port.
  constexpr std::uint16_t otlp_grpc_port = 4317;
  auto url = parse_http_url(endpoint);
  if (!url || url->port != otlp_grpc_port) return;
  const bool traces_endpoint_set = config_.otlp_traces_endpoint.value.has_value() ||
                                   environment_.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const std::string variable =
      traces_endpoint_set ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  warn(variable, variable +
                     " points at port 4317, where collectors serve OTLP/gRPC; this library "
                     "sends OTLP/HTTP, which collectors serve on port 4318");
}

void ConfigFinalizer::resolve_jaeger_credentials() {
  JaegerExporterSettings& jaeger = result_.jaeger_;
  jaeger.user =
      resolve(config_.jaeger_user, "OTEL_EXPORTER_JAEGER_USER", std::string(), basic_user_rule());
  jaeger.password = resolve(config_.jaeger_password, "OTEL_EXPORTER_JAEGER_PASSWORD", std::string(),
                            basic_password_rule());
  if (!jaeger.user.empty() || jaeger.password.empty()) return;
  jaeger.password.clear();
  const bool from_code = config_.jaeger_password.value && !config_.jaeger_password.value->empty();
  if (from_code && !code_error_) {
    code_error_ = Error{Error::Code::invalid_configuration,
                        "OTEL_EXPORTER_JAEGER_PASSWORD (set in code) needs a user "
                        "(OTEL_EXPORTER_JAEGER_USER)"};
  } else if (!from_code) {
    warn("OTEL_EXPORTER_JAEGER_PASSWORD",
         "OTEL_EXPORTER_JAEGER_PASSWORD is set without OTEL_EXPORTER_JAEGER_USER; no credentials "
         "are sent to the Jaeger collector");
  }
}

void ConfigFinalizer::resolve_other_exporters() {
  result_.zipkin_.endpoint = resolve(config_.zipkin_endpoint, "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
                                     result_.zipkin_.endpoint, url_rule());
  result_.zipkin_.timeout = resolve(config_.zipkin_timeout, "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
                                    milliseconds(10000), milliseconds_rule());
  result_.jaeger_.endpoint = resolve(config_.jaeger_endpoint, "OTEL_EXPORTER_JAEGER_ENDPOINT",
                                     result_.jaeger_.endpoint, url_rule());
  result_.jaeger_.timeout = resolve(config_.jaeger_timeout, "OTEL_EXPORTER_JAEGER_TIMEOUT",
                                    milliseconds(10000), milliseconds_rule());
  resolve_jaeger_credentials();
  result_.console_.format = resolve(
      config_.console_format, "TACHI_CONSOLE_FORMAT", ConsoleFormat::text,
      choice_rule<ConsoleFormat>("one of text, json", {{"text", ConsoleFormat::text},
                                                       {"json", ConsoleFormat::json_lines}}));
}

// The variable in lower case, else in upper case (curl's and wget's order), with its value.
// HTTP_PROXY is not read in a CGI program, where a request's "Proxy:" header arrives as it.
std::optional<std::pair<std::string, std::string>> ConfigFinalizer::proxy_variable(
    std::string_view variable) {
  const std::string lower = detail::lower_case(variable);
  if (auto text = environment_.get(lower)) return std::pair(lower, std::move(*text));
  if (variable == "HTTP_PROXY" && environment_.get("REQUEST_METHOD")) return std::nullopt;
  if (auto text = environment_.get(variable)) return std::pair(std::string(variable), *text);
  return std::nullopt;
}

std::optional<HttpProxy> ConfigFinalizer::resolve_proxy(const Setting<std::string>& setting,
                                                        std::string_view variable) {
  std::optional<HttpProxy> from_code;
  if (setting.value && !detail::trim_white_space(*setting.value).empty()) {
    auto parsed = parse_http_proxy(*setting.value);
    if (parsed) {
      from_code = std::move(*parsed);
    } else if (!code_error_) {
      code_error_ = Error{Error::Code::invalid_configuration,
                          std::string(variable) + " (set in code): " + parsed.error().message};
    }
  }
  if (setting.value && setting.precedence == Precedence::code_overrides_environment)
    return from_code;
  auto found = proxy_variable(variable);
  if (!found) return from_code;
  auto parsed = parse_http_proxy(found->second);
  if (parsed) return std::move(*parsed);
  const std::string fallback =
      from_code ? "the proxy " + from_code->authority() + " set in code" : std::string("no proxy");
  warn(found->first, found->first + ": " + parsed.error().message + "; using " + fallback);
  return from_code;
}

NoProxyRules ConfigFinalizer::resolve_no_proxy() {
  auto unreadable = [](std::string_view variable, const std::string& entry) {
    return std::string(variable) + " has an entry " + quoted(entry) +
           " that is not a host name, address, CIDR block or host:port";
  };
  const Setting<std::string>& setting = config_.no_proxy;
  NoProxyRules from_code(setting.value.value_or(""));
  if (!from_code.malformed().empty() && !code_error_) {
    code_error_ = Error{Error::Code::invalid_configuration,
                        unreadable("NO_PROXY (set in code)", from_code.malformed().front())};
  }
  if (setting.value && setting.precedence == Precedence::code_overrides_environment)
    return from_code;
  auto found = proxy_variable("NO_PROXY");
  if (!found) return from_code;
  NoProxyRules rules(found->second);
  for (const std::string& entry : rules.malformed())
    warn(found->first, unreadable(found->first, entry) + "; it is ignored");
  return rules;
}

void ConfigFinalizer::resolve_proxies() {
  ProxySettings& proxies = result_.proxies_;
  proxies.https = resolve_proxy(config_.https_proxy, "HTTPS_PROXY");
  proxies.http = resolve_proxy(config_.http_proxy, "HTTP_PROXY");
  proxies.no_proxy = resolve_no_proxy();
  auto proxy_for = [&](const std::string& endpoint) -> std::optional<HttpProxy> {
    auto url = parse_http_url(endpoint);
    if (!url) return std::nullopt;
    return proxies.for_url(*url);
  };
  result_.otlp_.proxy = proxy_for(result_.otlp_.endpoint);
  result_.zipkin_.proxy = proxy_for(result_.zipkin_.endpoint);
  result_.jaeger_.proxy = proxy_for(result_.jaeger_.endpoint);
}

Expected<FinalizedTracingConfig> finalize_config(const TracingConfig& config,
                                                 const Environment& environment) {
  return ConfigFinalizer(config, environment).run();
}

Expected<FinalizedTracingConfig> finalize_config(const TracingConfig& config) {
  return finalize_config(config, Environment::process());
}

std::string_view to_string(ExporterKind kind) noexcept {
  switch (kind) {
    case ExporterKind::otlp:
      return "otlp";
    case ExporterKind::zipkin:
      return "zipkin";
    case ExporterKind::jaeger:
      return "jaeger";
    case ExporterKind::console:
      return "console";
    case ExporterKind::none:
      return "none";
  }
  return "none";
}

std::string_view to_string(OtlpProtocol protocol) noexcept {
  return protocol == OtlpProtocol::http_json ? "http/json" : "http/protobuf";
}

std::string_view to_string(Compression compression) noexcept {
  return compression == Compression::gzip ? "gzip" : "none";
}

std::string_view to_string(PropagatorKind kind) noexcept {
  switch (kind) {
    case PropagatorKind::tracecontext:
      return "tracecontext";
    case PropagatorKind::baggage:
      return "baggage";
    case PropagatorKind::b3:
      return "b3";
    case PropagatorKind::b3multi:
      return "b3multi";
    case PropagatorKind::jaeger:
      return "jaeger";
  }
  return "tracecontext";
}

}  // namespace tachi_trace
