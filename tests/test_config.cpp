#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "tachi_trace/config.hpp"
#include "tachi_trace/url.hpp"

using namespace tachi_trace;
using namespace std::chrono_literals;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

FinalizedTracingConfig finalize(Pairs environment, const TracingConfig& code = {}) {
  auto config = finalize_config(code, Environment::from_pairs(std::move(environment)));
  if (!config) FAIL(config.error().message);
  return std::move(*config);
}

std::string diagnostics_of(const FinalizedTracingConfig& config) {
  std::string text;
  for (const auto& diagnostic : config.diagnostics())
    text += diagnostic.message + "\n";
  return text;
}

}  // namespace

TEST_CASE("with no environment every setting has the specification's default") {
  auto config = finalize({});
  CHECK(config.diagnostics().empty());
  CHECK_FALSE(config.provider().disabled);
  CHECK(config.sampler_kind() == SamplerKind::parentbased_always_on);
  CHECK(config.provider().sampler->description().starts_with("ParentBased{root:AlwaysOnSampler"));
  CHECK(config.exporters() == std::vector{ExporterKind::otlp});
  CHECK(config.propagators() == std::vector{PropagatorKind::tracecontext, PropagatorKind::baggage});
  const BatchSettings& batch = config.provider().batch;
  CHECK(batch.schedule_delay == 5000ms);
  CHECK(batch.export_timeout == 30000ms);
  CHECK(batch.max_queue_size == 2048);
  CHECK(batch.max_export_batch_size == 512);
  CHECK(config.provider().limits == SpanLimits{});
  CHECK(config.otlp().endpoint == "http://localhost:4318/v1/traces");
  CHECK(config.otlp().protocol == OtlpProtocol::http_protobuf);
  CHECK(config.otlp().compression == Compression::none);
  CHECK(config.otlp().timeout == 10000ms);
  CHECK(config.zipkin().endpoint == "http://localhost:9411/api/v2/spans");
  CHECK(config.jaeger().endpoint == "http://localhost:14268/api/traces");
  CHECK(config.console().format == ConsoleFormat::text);
}

TEST_CASE("OTEL_SDK_DISABLED is true only for a case-insensitive \"true\"") {
  CHECK(finalize({{"OTEL_SDK_DISABLED", "TRUE"}}).provider().disabled);
  CHECK(finalize({{"OTEL_SDK_DISABLED", "true"}}).provider().disabled);
  CHECK_FALSE(finalize({{"OTEL_SDK_DISABLED", "false"}}).provider().disabled);
  auto odd = finalize({{"OTEL_SDK_DISABLED", "yes"}});
  CHECK_FALSE(odd.provider().disabled);
  CHECK(diagnostics_of(odd) ==
        "OTEL_SDK_DISABLED must be true or false, but got \"yes\"; using false\n");
}

TEST_CASE("an empty value means unset") {
  auto config = finalize(
      {{"OTEL_TRACES_SAMPLER", ""}, {"OTEL_BSP_MAX_QUEUE_SIZE", ""}, {"OTEL_SERVICE_NAME", ""}});
  CHECK(config.diagnostics().empty());
  CHECK(config.sampler_kind() == SamplerKind::parentbased_always_on);
  CHECK(config.provider().batch.max_queue_size == 2048);
  CHECK(config.provider().resource.service_name().starts_with("unknown_service:"));
}

TEST_CASE("OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose the sampler") {
  auto ratio =
      finalize({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}});
  CHECK(ratio.sampler_kind() == SamplerKind::traceidratio);
  CHECK(ratio.sampler_ratio() == 0.25);
  CHECK(ratio.provider().sampler->description() == "TraceIdRatioBased{0.25}");

  auto parent = finalize(
      {{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.5"}});
  CHECK(parent.provider().sampler->description().starts_with(
      "ParentBased{root:TraceIdRatioBased{0.5}"));

  CHECK(finalize({{"OTEL_TRACES_SAMPLER", "always_off"}}).provider().sampler->description() ==
        "AlwaysOffSampler");
  // The argument is ignored by samplers that take none.
  auto always_on =
      finalize({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "x"}});
  CHECK(always_on.diagnostics().empty());
}

TEST_CASE("bad sampler values warn with the variable, the value and the fallback") {
  auto unknown = finalize({{"OTEL_TRACES_SAMPLER", "sometimes"}});
  CHECK(unknown.sampler_kind() == SamplerKind::parentbased_always_on);
  CHECK_THAT(diagnostics_of(unknown),
             Catch::StartsWith("OTEL_TRACES_SAMPLER must be one of always_on") &&
                 Catch::EndsWith("but got \"sometimes\"; using parentbased_always_on\n"));

  auto too_big =
      finalize({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}});
  CHECK(too_big.sampler_ratio() == 1.0);
  CHECK(diagnostics_of(too_big) ==
        "OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1, but got \"1.5\"; using 1\n");

  auto not_number =
      finalize({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "abc"}});
  CHECK(diagnostics_of(not_number) ==
        "OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1, but got \"abc\"; using 1\n");
  REQUIRE(not_number.diagnostics().size() == 1);
  CHECK(not_number.diagnostics()[0].variable == "OTEL_TRACES_SAMPLER_ARG");
}

TEST_CASE("OTEL_TRACES_EXPORTER is a comma list; unknown names warn and are skipped") {
  CHECK(finalize({{"OTEL_TRACES_EXPORTER", "zipkin, console,jaeger"}}).exporters() ==
        std::vector{ExporterKind::zipkin, ExporterKind::console, ExporterKind::jaeger});
  CHECK(finalize({{"OTEL_TRACES_EXPORTER", "none"}}).exporters().empty());
  CHECK(finalize({{"OTEL_TRACES_EXPORTER", "otlp,otlp"}}).exporters() ==
        std::vector{ExporterKind::otlp});
  auto unknown = finalize({{"OTEL_TRACES_EXPORTER", "console,prometheus"}});
  CHECK(unknown.exporters() == std::vector{ExporterKind::console});
  CHECK_THAT(diagnostics_of(unknown), Catch::Contains("unknown exporter \"prometheus\""));
  // Nothing usable: the default stays.
  CHECK(finalize({{"OTEL_TRACES_EXPORTER", "bogus"}}).exporters() ==
        std::vector{ExporterKind::otlp});
}

TEST_CASE("OTEL_PROPAGATORS chooses the propagators; none means none") {
  CHECK(finalize({{"OTEL_PROPAGATORS", "b3multi,jaeger"}}).propagators() ==
        std::vector{PropagatorKind::b3multi, PropagatorKind::jaeger});
  CHECK(finalize({{"OTEL_PROPAGATORS", "none"}}).propagators().empty());
  auto unknown = finalize({{"OTEL_PROPAGATORS", "tracecontext,xray"}});
  CHECK(unknown.propagators() == std::vector{PropagatorKind::tracecontext});
  CHECK_THAT(diagnostics_of(unknown), Catch::Contains("unknown propagator \"xray\""));
}

TEST_CASE("batch processor variables") {
  auto config = finalize({{"OTEL_BSP_SCHEDULE_DELAY", "250"},
                          {"OTEL_BSP_EXPORT_TIMEOUT", "0"},
                          {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                          {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"}});
  CHECK(config.diagnostics().empty());
  CHECK(config.provider().batch.schedule_delay == 250ms);
  CHECK(config.provider().batch.export_timeout == 0ms);
  CHECK(config.provider().batch.max_queue_size == 100);
  CHECK(config.provider().batch.max_export_batch_size == 10);

  auto bad = finalize({{"OTEL_BSP_SCHEDULE_DELAY", "-1"},
                       {"OTEL_BSP_MAX_QUEUE_SIZE", "0"},
                       {"OTEL_BSP_EXPORT_TIMEOUT", "5s"}});
  CHECK(bad.provider().batch.schedule_delay == 5000ms);
  CHECK(bad.provider().batch.max_queue_size == 2048);
  CHECK(bad.provider().batch.export_timeout == 30000ms);
  CHECK(diagnostics_of(bad) ==
        "OTEL_BSP_SCHEDULE_DELAY must be a non-negative integer number of milliseconds, but got "
        "\"-1\"; using 5000 ms\n"
        "OTEL_BSP_EXPORT_TIMEOUT must be a non-negative integer number of milliseconds, but got "
        "\"5s\"; using 30000 ms\n"
        "OTEL_BSP_MAX_QUEUE_SIZE must be a positive integer, but got \"0\"; using 2048\n");

  auto oversized =
      finalize({{"OTEL_BSP_MAX_QUEUE_SIZE", "64"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"}});
  CHECK(oversized.provider().batch.max_export_batch_size == 64);
  CHECK_THAT(diagnostics_of(oversized), Catch::Contains("must not exceed OTEL_BSP_MAX_QUEUE_SIZE"));
}

TEST_CASE("span limit variables, with the general limits as fallbacks") {
  auto config = finalize({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                          {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"},
                          {"OTEL_SPAN_EVENT_COUNT_LIMIT", "5"},
                          {"OTEL_SPAN_LINK_COUNT_LIMIT", "6"},
                          {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "7"}});
  const SpanLimits& limits = config.provider().limits;
  CHECK(limits.attribute_count == 10);
  CHECK(limits.attributes_per_event == 10);
  CHECK(limits.attributes_per_link == 7);
  CHECK(limits.event_count == 5);
  CHECK(limits.link_count == 6);
  CHECK(limits.attribute_value_length == 64);

  auto specific = finalize({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                            {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"},
                            {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "2"},
                            {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "8"}});
  CHECK(specific.provider().limits.attribute_count == 3);
  CHECK(specific.provider().limits.attributes_per_event == 2);
  CHECK(specific.provider().limits.attribute_value_length == 8);

  auto bad = finalize({{"OTEL_SPAN_EVENT_COUNT_LIMIT", "many"}});
  CHECK(bad.provider().limits.event_count == 128);
  CHECK(
      diagnostics_of(bad) ==
      "OTEL_SPAN_EVENT_COUNT_LIMIT must be a non-negative integer, but got \"many\"; using 128\n");
}

TEST_CASE("OTLP endpoint rules") {
  CHECK(finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}}).otlp().endpoint ==
        "http://c:4318/v1/traces");
  CHECK(finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/"}}).otlp().endpoint ==
        "http://c:4318/v1/traces");
  CHECK(finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c/base"}}).otlp().endpoint ==
        "https://c/base/v1/traces");
  CHECK(finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                  {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9999/custom"}})
            .otlp()
            .endpoint == "http://t:9999/custom");
  auto bad = finalize({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318"}});
  CHECK(bad.otlp().endpoint == "http://localhost:4318/v1/traces");
  CHECK(diagnostics_of(bad) ==
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:// or https:// URL, but got "
        "\"collector:4318\"; using http://localhost:4318/v1/traces\n");
}

TEST_CASE("OTLP protocol, compression, timeout and certificates, traces variants winning") {
  auto config = finalize({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                          {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
                          {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                          {"OTEL_EXPORTER_OTLP_TIMEOUT", "2000"},
                          {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0"},
                          {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"},
                          {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/etc/key.pem"},
                          {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/cert.pem"}});
  CHECK(config.diagnostics().empty());
  CHECK(config.otlp().protocol == OtlpProtocol::http_json);
  CHECK(config.otlp().compression == Compression::gzip);
  CHECK(config.otlp().timeout == 0ms);
  CHECK(config.otlp().certificate_file == "/etc/ca.pem");
  CHECK(config.otlp().client_key_file == "/etc/key.pem");
  CHECK(config.otlp().client_certificate_file == "/etc/cert.pem");

  auto grpc = finalize(
      {{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}, {"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}});
  CHECK(grpc.otlp().protocol == OtlpProtocol::http_protobuf);
  CHECK(grpc.otlp().compression == Compression::none);
  CHECK(diagnostics_of(grpc) ==
        "OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json (grpc is not "
        "supported: OTLP/gRPC needs HTTP/2; collectors serve OTLP/HTTP on port 4318), but got "
        "\"grpc\"; using http/protobuf\n"
        "OTEL_EXPORTER_OTLP_COMPRESSION must be one of none, gzip, but got \"zstd\"; using none\n");
}

TEST_CASE("OTEL_LOG_LEVEL: the least severe of the library's own messages, in any case") {
  CHECK(finalize({}).log_level() == LogLevel::info);
  CHECK(finalize({{"OTEL_LOG_LEVEL", "error"}}).log_level() == LogLevel::error);
  CHECK(finalize({{"OTEL_LOG_LEVEL", "WARN"}}).log_level() == LogLevel::warn);
  CHECK(finalize({{"OTEL_LOG_LEVEL", " Debug "}}).log_level() == LogLevel::debug);
  CHECK(finalize({{"OTEL_LOG_LEVEL", "none"}}).log_level() == LogLevel::off);
  auto bad = finalize({{"OTEL_LOG_LEVEL", "loud"}});
  CHECK(bad.log_level() == LogLevel::info);
  CHECK(diagnostics_of(bad) ==
        "OTEL_LOG_LEVEL must be one of none, error, warn, info, debug (any case), but got "
        "\"loud\"; using info\n");
  TracingConfig in_code;
  in_code.log_level = overriding_environment(LogLevel::error);
  CHECK(finalize({{"OTEL_LOG_LEVEL", "debug"}}, in_code).log_level() == LogLevel::error);
}

TEST_CASE("an OTLP endpoint on the gRPC port 4317 is warned about, naming its variable") {
  auto base = finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"}});
  CHECK(base.otlp().endpoint == "http://collector:4317/v1/traces");  // still used as asked
  CHECK(diagnostics_of(base) ==
        "OTEL_EXPORTER_OTLP_ENDPOINT points at port 4317, where collectors serve OTLP/gRPC; this "
        "library sends OTLP/HTTP, which collectors serve on port 4318\n");
  auto traces = finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                          {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://tempo:4317/v1/traces"}});
  REQUIRE(traces.diagnostics().size() == 1);
  CHECK(traces.diagnostics()[0].variable == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  TracingConfig in_code;
  in_code.otlp_endpoint = std::string("http://localhost:4317");
  auto from_code = finalize({}, in_code);
  REQUIRE(from_code.diagnostics().size() == 1);
  CHECK(from_code.diagnostics()[0].variable == "OTEL_EXPORTER_OTLP_ENDPOINT");
  CHECK(
      finalize({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:43170"}}).diagnostics().empty());
  CHECK(finalize({}).diagnostics().empty());
}

TEST_CASE("OTLP headers are percent-decoded, and a malformed one is reported without its value") {
  auto config =
      finalize({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcr%2Ct, tenant = acme"},
                {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "tenant=beta,broken,bad=%zz-secret"}});
  CHECK(config.otlp().headers == HeaderList{{"api-key", "s=cr,t"}, {"tenant", "beta"}});
  const std::string diagnostics = diagnostics_of(config);
  CHECK_THAT(diagnostics,
             Catch::Contains("entry 2 is malformed") && Catch::Contains("entry 3 is malformed"));
  CHECK_THAT(diagnostics, !Catch::Contains("secret") && !Catch::Contains("s=cr"));
}

TEST_CASE("Zipkin, Jaeger and console variables") {
  auto config = finalize({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://z:9411/api/v2/spans"},
                          {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "1500"},
                          {"OTEL_EXPORTER_JAEGER_ENDPOINT", "http://j:14268/api/traces"},
                          {"OTEL_EXPORTER_JAEGER_TIMEOUT", "2500"},
                          {"TACHI_CONSOLE_FORMAT", "json"}});
  CHECK(config.diagnostics().empty());
  CHECK(config.zipkin().endpoint == "http://z:9411/api/v2/spans");
  CHECK(config.zipkin().timeout == 1500ms);
  CHECK(config.jaeger().endpoint == "http://j:14268/api/traces");
  CHECK(config.jaeger().timeout == 2500ms);
  CHECK(config.console().format == ConsoleFormat::json_lines);
  auto bad =
      finalize({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "ftp://z"}, {"TACHI_CONSOLE_FORMAT", "xml"}});
  CHECK(bad.zipkin().endpoint == "http://localhost:9411/api/v2/spans");
  CHECK(bad.diagnostics().size() == 2);
}

TEST_CASE("OTEL_METRICS_EXEMPLAR_FILTER chooses which observations become exemplars") {
  CHECK(finalize({}).exemplar_filter() == ExemplarFilter::trace_based);
  CHECK(finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}}).exemplar_filter() ==
        ExemplarFilter::always_on);
  CHECK(finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", " always_off "}}).exemplar_filter() ==
        ExemplarFilter::always_off);
  CHECK(finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", ""}}).diagnostics().empty());

  auto bad = finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"}});
  CHECK(bad.exemplar_filter() == ExemplarFilter::trace_based);
  REQUIRE(bad.diagnostics().size() == 1);
  CHECK(bad.diagnostics()[0].variable == "OTEL_METRICS_EXEMPLAR_FILTER");
  CHECK_THAT(bad.diagnostics()[0].message,
             Catch::Contains("sometimes") &&
                 Catch::Contains("trace_based, always_on, always_off") &&
                 Catch::Contains("using trace_based"));

  TracingConfig in_code;
  in_code.metrics_exemplar_filter = ExemplarFilter::always_off;
  CHECK(finalize({}, in_code).exemplar_filter() == ExemplarFilter::always_off);
  CHECK(finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}}, in_code).exemplar_filter() ==
        ExemplarFilter::always_on);
  in_code.metrics_exemplar_filter = overriding_environment(ExemplarFilter::always_off);
  CHECK(finalize({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}}, in_code).exemplar_filter() ==
        ExemplarFilter::always_off);
}

TEST_CASE("Jaeger Basic credentials: read, checked, and never repeated in a message") {
  auto config = finalize({{"OTEL_EXPORTER_JAEGER_USER", "collector-user"},
                          {"OTEL_EXPORTER_JAEGER_PASSWORD", "p:ss w0rd"}});
  CHECK(config.diagnostics().empty());
  CHECK(config.jaeger().user == "collector-user");
  CHECK(config.jaeger().password == "p:ss w0rd");
  CHECK(finalize({}).jaeger().user.empty());

  SECTION("a password without a user: no credentials, with a warning") {
    auto alone = finalize({{"OTEL_EXPORTER_JAEGER_PASSWORD", "hunter2"}});
    CHECK(alone.jaeger().password.empty());
    REQUIRE(alone.diagnostics().size() == 1);
    CHECK(alone.diagnostics()[0].variable == "OTEL_EXPORTER_JAEGER_PASSWORD");
    CHECK(alone.diagnostics()[0].message ==
          "OTEL_EXPORTER_JAEGER_PASSWORD is set without OTEL_EXPORTER_JAEGER_USER; no "
          "credentials are sent to the Jaeger collector");
  }
  SECTION("a user with ':' or a password with a control character: ignored, with the reason") {
    auto bad = finalize(
        {{"OTEL_EXPORTER_JAEGER_USER", "a:b"}, {"OTEL_EXPORTER_JAEGER_PASSWORD", "hunter2\n"}});
    CHECK(bad.jaeger().user.empty());
    CHECK(bad.jaeger().password.empty());
    const std::string diagnostics = diagnostics_of(bad);
    CHECK_THAT(diagnostics,
               Catch::Contains("OTEL_EXPORTER_JAEGER_USER must be a user name without ':' or "
                               "control characters, but got \"a:b\"; using none"));
    CHECK_THAT(diagnostics, Catch::Contains("OTEL_EXPORTER_JAEGER_PASSWORD must be a password "
                                            "without control characters, but got a malformed "
                                            "value; using none"));
    CHECK_THAT(diagnostics, !Catch::Contains("hunter2"));
  }
  SECTION("in code: the environment overrides them; a password without a user is an error") {
    TracingConfig code;
    code.jaeger_user = std::string("code-user");
    code.jaeger_password = std::string("code-secret");
    auto from_code = finalize({{"OTEL_EXPORTER_JAEGER_PASSWORD", "env-secret"}}, code);
    CHECK(from_code.jaeger().user == "code-user");
    CHECK(from_code.jaeger().password == "env-secret");

    TracingConfig no_user;
    no_user.jaeger_password = std::string("code-secret");
    auto failed = finalize_config(no_user, Environment::from_pairs({}));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == Error::Code::invalid_configuration);
    CHECK(failed.error().message ==
          "OTEL_EXPORTER_JAEGER_PASSWORD (set in code) needs a user (OTEL_EXPORTER_JAEGER_USER)");
    TracingConfig colon;
    colon.jaeger_user = std::string("a:b");
    auto colon_failed = finalize_config(colon, Environment::from_pairs({}));
    REQUIRE_FALSE(colon_failed);
    CHECK_THAT(colon_failed.error().message,
               Catch::StartsWith("OTEL_EXPORTER_JAEGER_USER (set in code) must be a user name"));
  }
}

TEST_CASE("service name and resource attributes") {
  auto config =
      finalize({{"OTEL_RESOURCE_ATTRIBUTES",
                 "service.name=from-attributes,deployment.environment=prod%20eu,team=a%2Cb"},
                {"OTEL_SERVICE_NAME", "checkout"}});
  const Resource& resource = config.provider().resource;
  CHECK(resource.service_name() == "checkout");
  CHECK(*resource.find("deployment.environment") == AttributeValue("prod eu"));
  CHECK(*resource.find("team") == AttributeValue("a,b"));
  CHECK(*resource.find("telemetry.sdk.name") == AttributeValue("tachi_trace"));

  CHECK(finalize({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes"}})
            .provider()
            .resource.service_name() == "from-attributes");

  auto malformed = finalize({{"OTEL_RESOURCE_ATTRIBUTES", "a=1,=2,c=%4"}});
  CHECK(malformed.provider().resource.find("a") == nullptr);  // the whole value is discarded
  CHECK_THAT(diagnostics_of(malformed),
             Catch::Contains("entry 2") && Catch::Contains("using none of it"));
}

TEST_CASE("code gives defaults the environment overrides, unless it says otherwise") {
  TracingConfig code;
  code.sampler = SamplerKind::always_off;
  code.batch_max_queue_size = 99u;
  code.service_name = std::string("from-code");
  code.exporters = overriding_environment(std::vector{ExporterKind::console});

  auto without_environment = finalize({}, code);
  CHECK(without_environment.sampler_kind() == SamplerKind::always_off);
  CHECK(without_environment.provider().batch.max_queue_size == 99);
  CHECK(without_environment.provider().resource.service_name() == "from-code");

  auto with_environment = finalize({{"OTEL_TRACES_SAMPLER", "always_on"},
                                    {"OTEL_BSP_MAX_QUEUE_SIZE", "bad"},
                                    {"OTEL_SERVICE_NAME", "from-env"},
                                    {"OTEL_TRACES_EXPORTER", "zipkin"}},
                                   code);
  CHECK(with_environment.sampler_kind() == SamplerKind::always_on);
  CHECK(with_environment.provider().batch.max_queue_size == 99);  // the code value is the fallback
  CHECK_THAT(diagnostics_of(with_environment), Catch::Contains("but got \"bad\"; using 99"));
  CHECK(with_environment.provider().resource.service_name() == "from-env");
  CHECK(with_environment.exporters() == std::vector{ExporterKind::console});

  code.sampler = overriding_environment(SamplerKind::always_off);
  CHECK(finalize({{"OTEL_TRACES_SAMPLER", "always_on"}}, code).sampler_kind() ==
        SamplerKind::always_off);
}

TEST_CASE("invalid values given in code are errors, not warnings") {
  TracingConfig code;
  code.sampler = SamplerKind::traceidratio;
  code.sampler_ratio = 1.5;
  auto config = finalize_config(code, Environment::from_pairs({}));
  REQUIRE_FALSE(config);
  CHECK(config.error().code == Error::Code::invalid_configuration);
  CHECK(config.error().message ==
        "OTEL_TRACES_SAMPLER_ARG (set in code) must be a number between 0 and 1, but got 1.5");

  TracingConfig bad_url;
  bad_url.otlp_endpoint = std::string("localhost:4318");
  auto url_config = finalize_config(bad_url, Environment::from_pairs({}));
  REQUIRE_FALSE(url_config);
  CHECK_THAT(url_config.error().message,
             Catch::StartsWith("OTEL_EXPORTER_OTLP_ENDPOINT (set in code)"));
}

TEST_CASE("the registry declares every variable once, and help and README come from it") {
  std::set<std::string_view> names;
  for (const auto& spec : environment_variables()) {
    CHECK(names.insert(spec.name).second);
    CHECK_FALSE(spec.meaning.empty());
  }
  CHECK(names.count("OTEL_TRACES_SAMPLER_ARG") == 1);
  const std::string help = format_environment_help(environment_variables());
  for (auto name : names)
    CHECK_THAT(help, Catch::Contains(std::string(name)));

  std::ifstream readme(TACHI_SOURCE_DIR "/README.md");
  REQUIRE(readme);
  std::stringstream text;
  text << readme.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains(format_environment_markdown(environment_variables())));
}

TEST_CASE("http URLs") {
  auto url = parse_http_url("https://[::1]:4318/v1/traces?x=1");
  REQUIRE(url);
  CHECK(url->secure);
  CHECK(url->host == "::1");
  CHECK(url->port == 4318);
  CHECK(url->target == "/v1/traces?x=1");
  CHECK(url->host_header() == "[::1]:4318");
  auto plain = parse_http_url("http://collector");
  REQUIRE(plain);
  CHECK(plain->port == 80);
  CHECK(plain->target == "/");
  CHECK(plain->to_string() == "http://collector/");
  CHECK_FALSE(parse_http_url("http://:80/"));
  CHECK_FALSE(parse_http_url("http://host:0/"));
  CHECK_FALSE(parse_http_url("http://host:70000/"));
  CHECK_FALSE(parse_http_url("http://user@host/"));
  CHECK_FALSE(parse_http_url("grpc://host"));
  CHECK_THAT(parse_http_url("http://host:x/").error().message, Catch::Contains("port"));
}
