#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "support/fake_transport_clock.hpp"
#include "support/http_receiver.hpp"
#include "support/span_samples.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/exporters/otlp.hpp"
#include "tachi_trace/setup.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
using namespace std::chrono_literals;
namespace otlp = opentelemetry::proto;
using otlp::collector::trace::v1::ExportTraceServiceRequest;
using otlp::collector::trace::v1::ExportTraceServiceResponse;

namespace {

/// Collects what an exporter reports, for tests that check diagnostics.
struct DiagnosticLog {
  std::mutex mutex;
  std::vector<std::string> messages;

  DiagnosticSink sink() {
    return [this](std::string_view message) {
      std::lock_guard guard(mutex);
      messages.emplace_back(message);
    };
  }
  std::vector<std::string> read() {
    std::lock_guard guard(mutex);
    return messages;
  }
};

OtlpExporterSettings settings_for(const HttpReceiver& receiver,
                                  OtlpProtocol protocol = OtlpProtocol::http_protobuf) {
  OtlpExporterSettings settings;
  settings.endpoint = receiver.url("/v1/traces");
  settings.protocol = protocol;
  return settings;
}

/// Options that keep retries off the real clock.
HttpExporterOptions quiet_options(DiagnosticLog* log = nullptr) {
  HttpExporterOptions options;
  options.clock = std::make_shared<FakeTransportClock>();
  options.diagnostics = log != nullptr ? log->sink() : [](std::string_view) {};
  return options;
}

std::unique_ptr<SpanExporter> make_exporter(const OtlpExporterSettings& settings,
                                            HttpExporterOptions options) {
  auto exporter = make_otlp_exporter(settings, std::move(options));
  if (!exporter) FAIL("making the exporter failed: " << exporter.error().message);
  return std::move(*exporter);
}

/// What a batch holds: pointers to `spans`, in order.
std::vector<const SpanData*> pointers_to(const std::vector<SpanData>& spans) {
  std::vector<const SpanData*> pointers;
  for (const auto& span : spans)
    pointers.push_back(&span);
  return pointers;
}

ExportTraceServiceRequest decode(const ReceivedRequest& request) {
  ExportTraceServiceRequest decoded;
  if (!decoded.ParseFromString(request.body)) FAIL("the body is not an ExportTraceServiceRequest");
  return decoded;
}

std::string bytes_of(const TraceId& id) {
  return std::string(id.bytes().begin(), id.bytes().end());
}
std::string bytes_of(const SpanId& id) {
  return std::string(id.bytes().begin(), id.bytes().end());
}

const otlp::common::v1::AnyValue& value_of(
    const google::protobuf::RepeatedPtrField<otlp::common::v1::KeyValue>& attributes,
    const std::string& key) {
  for (const auto& attribute : attributes)
    if (attribute.key() == key) return attribute.value();
  FAIL("no attribute " << key);
  throw std::logic_error("unreachable");
}

std::string serialized_partial_success(std::int64_t rejected, const std::string& message) {
  ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_rejected_spans(rejected);
  response.mutable_partial_success()->set_error_message(message);
  return response.SerializeAsString();
}

/// Five copies of one span, a receiver for them and the log of what the exporter reported: what
/// the tests of partial success and diagnostics share.
struct FiveSpans {
  /// Answers every request with `status` and an empty body.
  void answer(unsigned status) {
    receiver.set_default_response({.status = status, .body = "", .content_type = "text/plain"});
  }
  ExportResult export_through(SpanExporter& exporter) {
    return exporter.export_spans(batch_of(samples.resource, pointers));
  }

  HttpReceiver receiver;
  SpanSamples samples;
  DiagnosticLog log;
  std::vector<SpanData> spans = std::vector<SpanData>(5, samples.root_span());
  std::vector<const SpanData*> pointers = pointers_to(spans);
};

}  // namespace

TEST_CASE("OTLP protobuf: every span field decodes with libprotobuf as it was recorded") {
  HttpReceiver receiver;
  SpanSamples samples;
  const SpanData span = samples.full_span();
  auto exporter = make_exporter(settings_for(receiver), quiet_options());

  auto result = exporter->export_spans(batch_of(samples.resource, {&span}));

  REQUIRE(result.ok());
  CHECK(result.rejected_spans == 0);
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/v1/traces");
  CHECK(requests[0].header("Content-Type") == "application/x-protobuf");
  CHECK(requests[0].header("User-Agent").starts_with("tachi_trace/"));

  const ExportTraceServiceRequest request = decode(requests[0]);
  REQUIRE(request.resource_spans_size() == 1);
  const auto& resource_spans = request.resource_spans(0);
  CHECK(resource_spans.schema_url() == "https://opentelemetry.io/schemas/1.24.0");
  const auto& resource = resource_spans.resource();
  REQUIRE(resource.attributes_size() == 3);
  CHECK(resource.attributes(0).key() == "service.name");
  CHECK(resource.attributes(0).value().string_value() == "checkout");
  CHECK(resource.attributes(2).value().int_value() == 4242);
  REQUIRE(resource_spans.scope_spans_size() == 1);
  const auto& scope_spans = resource_spans.scope_spans(0);
  CHECK(scope_spans.scope().name() == "shop.checkout");
  CHECK(scope_spans.scope().version() == "1.4.0");
  CHECK(scope_spans.schema_url() == "https://opentelemetry.io/schemas/1.21.0");
  REQUIRE(scope_spans.spans_size() == 1);
  const auto& decoded = scope_spans.spans(0);

  SECTION("identity, times, kind and flags") {
    CHECK(decoded.trace_id() == bytes_of(span.context.trace_id));
    CHECK(decoded.span_id() == bytes_of(span.context.span_id));
    CHECK(decoded.parent_span_id() == bytes_of(span.parent_span_id));
    CHECK(decoded.trace_state() == "vendor=opaque,other=1");
    CHECK(decoded.name() == "GET /api/specs");
    CHECK(decoded.kind() == otlp::trace::v1::Span::SPAN_KIND_SERVER);
    CHECK(decoded.start_time_unix_nano() == 1'700'000'000'123'456'789u);
    CHECK(decoded.end_time_unix_nano() == 1'700'000'000'125'000'000u);
    // Trace flags 0x03, "is-remote known" 0x100, "parent is remote" 0x200.
    CHECK(decoded.flags() == 0x303u);
  }
  SECTION("attributes of every type") {
    const auto& attributes = decoded.attributes();
    REQUIRE(attributes.size() == 9);
    CHECK(attributes[0].key() == "http.request.method");
    CHECK(value_of(attributes, "http.request.method").string_value() == "GET");
    CHECK(value_of(attributes, "http.response.status_code").int_value() == 503);
    CHECK(value_of(attributes, "retry.ratio").double_value() == 0.25);
    CHECK(value_of(attributes, "cache.hit").has_bool_value());
    CHECK_FALSE(value_of(attributes, "cache.hit").bool_value());
    CHECK(value_of(attributes, "negative").int_value() == -42);
    const auto& tags = value_of(attributes, "tags").array_value();
    REQUIRE(tags.values_size() == 2);
    CHECK(tags.values(1).string_value() == "b\"c");
    const auto& ports = value_of(attributes, "ports").array_value();
    REQUIRE(ports.values_size() == 2);
    CHECK(ports.values(0).int_value() == 80);
    CHECK(ports.values(1).int_value() == -1);
    const auto& weights = value_of(attributes, "weights").array_value();
    REQUIRE(weights.values_size() == 2);
    CHECK(weights.values(1).double_value() == 2.0);
    const auto& flags = value_of(attributes, "flags").array_value();
    REQUIRE(flags.values_size() == 2);
    CHECK(flags.values(0).bool_value());
    CHECK(flags.values(1).has_bool_value());
    CHECK(decoded.dropped_attributes_count() == 3);
  }
  SECTION("events") {
    REQUIRE(decoded.events_size() == 2);
    CHECK(decoded.events(0).name() == "cache miss");
    CHECK(decoded.events(0).time_unix_nano() == 1'700'000'000'124'000'500u);
    REQUIRE(decoded.events(0).attributes_size() == 2);
    CHECK(decoded.events(0).attributes(0).value().string_value() == "spec:7");
    CHECK(decoded.events(0).attributes(1).value().int_value() == 12);
    CHECK(decoded.events(0).dropped_attributes_count() == 1);
    CHECK(decoded.events(1).name() == "retry");
    CHECK(decoded.events(1).attributes_size() == 0);
    CHECK(decoded.dropped_events_count() == 4);
  }
  SECTION("links, with their trace state and flags") {
    REQUIRE(decoded.links_size() == 1);
    const auto& link = decoded.links(0);
    CHECK(link.trace_id() == bytes_of(trace_id_from("0af7651916cd43dd8448eb211c80319c")));
    CHECK(link.span_id() == bytes_of(span_id_from("b7ad6b7169203331")));
    CHECK(link.trace_state() == "congo=t61rcWkgMzE");
    REQUIRE(link.attributes_size() == 1);
    CHECK(link.attributes(0).key() == "link.reason");
    CHECK(link.dropped_attributes_count() == 2);
    CHECK(link.flags() == 0x301u);  // sampled, is-remote known, remote
    CHECK(decoded.dropped_links_count() == 5);
  }
  SECTION("status") {
    CHECK(decoded.status().code() == otlp::trace::v1::Status::STATUS_CODE_ERROR);
    CHECK(decoded.status().message() == "backend unavailable");
  }
}

TEST_CASE("OTLP: kinds, status codes and the local-parent flags map to their OTLP numbers") {
  HttpReceiver receiver;
  SpanSamples samples;
  std::vector<SpanData> spans;
  for (SpanKind kind : {SpanKind::internal, SpanKind::server, SpanKind::client, SpanKind::producer,
                        SpanKind::consumer}) {
    spans.push_back(samples.root_span("kind"));
    spans.back().kind = kind;
  }
  spans[1].status = Status{StatusCode::ok, ""};
  spans[2].parent_span_id = span_id_from("0102030405060708");  // a local parent
  const auto pointers = pointers_to(spans);
  auto exporter = make_exporter(settings_for(receiver), quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, pointers)).ok());

  const auto request = decode(receiver.requests().at(0));
  const auto& decoded = request.resource_spans(0).scope_spans(0).spans();
  REQUIRE(decoded.size() == 5);
  for (int index = 0; index < 5; ++index)
    CHECK(decoded[index].kind() == index + 1);  // SPAN_KIND_INTERNAL = 1 ... CONSUMER = 5
  CHECK_FALSE(decoded[0].has_status());
  CHECK(decoded[1].status().code() == otlp::trace::v1::Status::STATUS_CODE_OK);
  CHECK(decoded[0].parent_span_id().empty());
  CHECK(decoded[0].flags() == 0x101u);  // a root: sampled, and "not remote" is known
  CHECK(decoded[2].flags() == 0x101u);
  CHECK(decoded[2].parent_span_id() == bytes_of(span_id_from("0102030405060708")));
}

TEST_CASE("OTLP: the resource is sent once and spans are grouped by scope, in order") {
  HttpReceiver receiver;
  SpanSamples samples;
  std::vector<SpanData> spans = {
      samples.root_span("first", &samples.checkout), samples.root_span("second", &samples.database),
      samples.root_span("third", &samples.checkout), samples.root_span("fourth", nullptr),
      samples.root_span("fifth", &samples.database)};
  const auto pointers = pointers_to(spans);
  auto exporter = make_exporter(settings_for(receiver), quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, pointers)).ok());

  const auto request = decode(receiver.requests().at(0));
  REQUIRE(request.resource_spans_size() == 1);
  const auto& groups = request.resource_spans(0).scope_spans();
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].scope().name() == "shop.checkout");
  REQUIRE(groups[0].spans_size() == 2);
  CHECK(groups[0].spans(0).name() == "first");
  CHECK(groups[0].spans(1).name() == "third");
  CHECK(groups[1].scope().name() == "shop.db");
  CHECK(groups[1].scope().version().empty());
  REQUIRE(groups[1].spans_size() == 2);
  CHECK(groups[1].spans(0).name() == "second");
  CHECK(groups[1].spans(1).name() == "fifth");
  CHECK_FALSE(groups[2].has_scope());
  REQUIRE(groups[2].spans_size() == 1);
  CHECK(groups[2].spans(0).name() == "fourth");
}

TEST_CASE("OTLP: strings that are not valid UTF-8 are repaired, so receivers can parse them") {
  HttpReceiver receiver;
  SpanSamples samples;
  SpanData span = samples.root_span(std::string("bad \xC3\x28 name"));
  span.attributes = {{"key", std::string("\xFF")}};
  auto exporter = make_exporter(settings_for(receiver), quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, {&span})).ok());

  const auto request = decode(receiver.requests().at(0));  // libprotobuf checks proto3 UTF-8
  const auto& decoded = request.resource_spans(0).scope_spans(0).spans(0);
  CHECK(decoded.name() == "bad \xEF\xBF\xBD( name");
  CHECK(decoded.attributes(0).value().string_value() == "\xEF\xBF\xBD");
}

TEST_CASE("OTLP JSON: lowerCamelCase keys, hex ids, integer enums, 64-bit numbers as strings") {
  HttpReceiver receiver;
  SpanSamples samples;
  const SpanData span = samples.full_span();
  auto exporter = make_exporter(settings_for(receiver, OtlpProtocol::http_json), quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, {&span})).ok());

  const auto request = receiver.requests().at(0);
  CHECK(request.header("Content-Type") == "application/json");
  const auto body = nlohmann::json::parse(request.body);
  const auto& resource_spans = body.at("resourceSpans").at(0);
  CHECK(resource_spans.at("schemaUrl") == "https://opentelemetry.io/schemas/1.24.0");
  CHECK(resource_spans.at("resource").at("attributes").at(0) ==
        nlohmann::json::parse(R"({"key":"service.name","value":{"stringValue":"checkout"}})"));
  CHECK(resource_spans.at("resource").at("attributes").at(2).at("value") ==
        nlohmann::json::parse(R"({"intValue":"4242"})"));
  const auto& scope_spans = resource_spans.at("scopeSpans").at(0);
  CHECK(scope_spans.at("scope") ==
        nlohmann::json::parse(R"({"name":"shop.checkout","version":"1.4.0"})"));
  CHECK(scope_spans.at("schemaUrl") == "https://opentelemetry.io/schemas/1.21.0");
  const auto& decoded = scope_spans.at("spans").at(0);

  CHECK(decoded.at("traceId") == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(decoded.at("spanId") == "00f067aa0ba902b7");
  CHECK(decoded.at("parentSpanId") == "53995c3f42cd8ad8");
  CHECK(decoded.at("traceState") == "vendor=opaque,other=1");
  CHECK(decoded.at("flags") == 0x303);
  CHECK(decoded.at("name") == "GET /api/specs");
  CHECK(decoded.at("kind") == 2);
  CHECK(decoded.at("startTimeUnixNano") == "1700000000123456789");
  CHECK(decoded.at("endTimeUnixNano") == "1700000000125000000");
  CHECK(decoded.at("droppedAttributesCount") == 3);
  CHECK(decoded.at("droppedEventsCount") == 4);
  CHECK(decoded.at("droppedLinksCount") == 5);
  CHECK(decoded.at("status") ==
        nlohmann::json::parse(R"({"code":2,"message":"backend unavailable"})"));

  const auto& attributes = decoded.at("attributes");
  REQUIRE(attributes.size() == 9);
  CHECK(attributes.at(0) ==
        nlohmann::json::parse(R"({"key":"http.request.method","value":{"stringValue":"GET"}})"));
  CHECK(attributes.at(1).at("value") == nlohmann::json::parse(R"({"intValue":"503"})"));
  CHECK(attributes.at(2).at("value") == nlohmann::json::parse(R"({"doubleValue":0.25})"));
  CHECK(attributes.at(3).at("value") == nlohmann::json::parse(R"({"boolValue":false})"));
  CHECK(attributes.at(4).at("value") == nlohmann::json::parse(
                                            R"({"arrayValue":{"values":[{"stringValue":"a"},
                                               {"stringValue":"b\"c"}]}})"));
  CHECK(attributes.at(5).at("value") == nlohmann::json::parse(
                                            R"({"arrayValue":{"values":[{"intValue":"80"},
                                               {"intValue":"-1"}]}})"));
  CHECK(attributes.at(6).at("value") == nlohmann::json::parse(
                                            R"({"arrayValue":{"values":[{"doubleValue":1.5},
                                               {"doubleValue":2}]}})"));
  CHECK(attributes.at(7).at("value") == nlohmann::json::parse(
                                            R"({"arrayValue":{"values":[{"boolValue":true},
                                               {"boolValue":false}]}})"));

  CHECK(decoded.at("events").at(0) == nlohmann::json::parse(R"({
      "timeUnixNano": "1700000000124000500", "name": "cache miss",
      "attributes": [{"key": "key", "value": {"stringValue": "spec:7"}},
                     {"key": "size", "value": {"intValue": "12"}}],
      "droppedAttributesCount": 1})"));
  CHECK(decoded.at("events").at(1) ==
        nlohmann::json::parse(R"({"timeUnixNano": "1700000000124500000", "name": "retry"})"));
  CHECK(decoded.at("links").at(0) == nlohmann::json::parse(R"({
      "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
      "traceState": "congo=t61rcWkgMzE",
      "attributes": [{"key": "link.reason", "value": {"stringValue": "batch"}}],
      "droppedAttributesCount": 2, "flags": 769})"));
  // No snake_case key anywhere: the OTLP JSON mapping forbids them.
  CHECK(request.body.find("_time_") == std::string::npos);
  CHECK(request.body.find("trace_id") == std::string::npos);
}

TEST_CASE("OTLP JSON: non-finite doubles are the protobuf JSON mapping's strings") {
  HttpReceiver receiver;
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.attributes = {{"nan", std::nan("")}, {"infinite", -HUGE_VAL}};
  auto exporter = make_exporter(settings_for(receiver, OtlpProtocol::http_json), quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, {&span})).ok());

  const auto body = nlohmann::json::parse(receiver.requests().at(0).body);
  const auto& attributes = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  CHECK(attributes[0]["value"] == nlohmann::json::parse(R"({"doubleValue":"NaN"})"));
  CHECK(attributes[1]["value"] == nlohmann::json::parse(R"({"doubleValue":"-Infinity"})"));
}

TEST_CASE_METHOD(
    FiveSpans,
    "OTLP: a partial success counts its rejected spans and reports the server's message") {
  SECTION("protobuf") {
    receiver.set_default_response({.status = 200,
                                   .body = serialized_partial_success(2, "2 spans had no name"),
                                   .content_type = "application/x-protobuf"});
    auto exporter = make_exporter(settings_for(receiver), quiet_options(&log));
    auto result = export_through(*exporter);
    REQUIRE(result.ok());
    CHECK(result.rejected_spans == 2);
    CHECK(result.message == "the backend rejected 2 of 5 spans: 2 spans had no name");
    CHECK(log.read() ==
          std::vector<std::string>{
              "otlp exporter: the backend rejected 2 of 5 spans: 2 spans had no name"});
    CHECK(receiver.request_count() == 1);  // a partial success is never retried
  }
  SECTION("JSON, with the count as a string") {
    receiver.set_default_response(
        {.status = 200,
         .body = R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}})",
         .content_type = "application/json"});
    auto exporter =
        make_exporter(settings_for(receiver, OtlpProtocol::http_json), quiet_options(&log));
    auto result = export_through(*exporter);
    REQUIRE(result.ok());
    CHECK(result.rejected_spans == 3);
    CHECK(result.message == "the backend rejected 3 of 5 spans: too old");
  }
  SECTION("a warning with nothing rejected is reported once, the spans count as exported") {
    receiver.set_default_response({.status = 200,
                                   .body = serialized_partial_success(0, "deprecated attribute"),
                                   .content_type = "application/x-protobuf"});
    auto exporter = make_exporter(settings_for(receiver), quiet_options(&log));
    for (int round = 0; round < 3; ++round) {
      auto result = export_through(*exporter);
      REQUIRE(result.ok());
      CHECK(result.rejected_spans == 0);
    }
    CHECK(log.read() ==
          std::vector<std::string>{"otlp exporter: the backend says: deprecated attribute"});
  }
}

TEST_CASE_METHOD(FiveSpans, "OTLP: diagnostics_level keeps less severe messages from the sink") {
  auto options_at = [&](LogLevel level) {
    auto options = quiet_options(&log);
    options.diagnostics_level = level;
    return options;
  };
  receiver.set_default_response({.status = 200,
                                 .body = serialized_partial_success(0, "deprecated attribute"),
                                 .content_type = "application/x-protobuf"});
  SECTION("error: a backend's warning is not reported, a failure is") {
    auto exporter = make_exporter(settings_for(receiver), options_at(LogLevel::error));
    REQUIRE(export_through(*exporter).ok());
    CHECK(log.read().empty());
    answer(400);
    CHECK_FALSE(export_through(*exporter).ok());
    REQUIRE(log.read().size() == 1);
    CHECK_THAT(log.read()[0], Catch::StartsWith("otlp exporter: dropped 5 spans: "));
  }
  SECTION("warn: the warning is reported") {
    auto exporter = make_exporter(settings_for(receiver), options_at(LogLevel::warn));
    REQUIRE(export_through(*exporter).ok());
    CHECK(log.read() ==
          std::vector<std::string>{"otlp exporter: the backend says: deprecated attribute"});
  }
  SECTION("off: nothing, and the failure is still counted in the result") {
    auto exporter = make_exporter(settings_for(receiver), options_at(LogLevel::off));
    answer(400);
    auto result = export_through(*exporter);
    CHECK_FALSE(result.ok());
    CHECK_FALSE(result.message.empty());
    CHECK(log.read().empty());
  }
}

TEST_CASE_METHOD(
    FiveSpans,
    "OTLP: a problem that recurs is reported again after a quiet period, with its count") {
  auto clock = std::make_shared<FakeTransportClock>();
  auto options = quiet_options(&log);
  options.clock = clock;
  options.repeat_diagnostics_after = std::chrono::seconds(60);
  answer(400);
  auto exporter = make_exporter(settings_for(receiver), options);
  auto export_once = [&] { CHECK_FALSE(export_through(*exporter).ok()); };

  for (int round = 0; round < 3; ++round)
    export_once();
  REQUIRE(log.read().size() == 1);
  const std::string first = log.read()[0];
  CHECK_THAT(first, Catch::StartsWith("otlp exporter: dropped 5 spans: "));

  clock->advance(std::chrono::seconds(59));
  export_once();
  CHECK(log.read().size() == 1);  // still within the quiet period

  clock->advance(std::chrono::seconds(2));
  export_once();
  REQUIRE(log.read().size() == 2);
  CHECK(log.read()[1] == first + " (3 more times since the report 61 s ago)");

  clock->advance(std::chrono::seconds(61));
  export_once();  // nothing recurred in between: no count
  REQUIRE(log.read().size() == 3);
  CHECK(log.read()[2] == first);
}

TEST_CASE_METHOD(FiveSpans, "OTLP: exports succeeding again after failures is reported at info") {
  auto run_outage = [&](LogLevel level) {
    auto options = quiet_options(&log);
    options.diagnostics_level = level;
    auto exporter = make_exporter(settings_for(receiver), options);
    answer(400);
    CHECK_FALSE(export_through(*exporter).ok());
    CHECK_FALSE(export_through(*exporter).ok());
    answer(200);
    CHECK(export_through(*exporter).ok());
    CHECK(export_through(*exporter).ok());
  };
  SECTION("info: the failure, then the recovery with what was lost") {
    run_outage(LogLevel::info);
    const auto messages = log.read();
    REQUIRE(messages.size() == 2);
    CHECK_THAT(messages[0], Catch::StartsWith("otlp exporter: dropped 5 spans: "));
    CHECK(messages[1] ==
          "otlp exporter: exporting again after 2 failed exports (10 spans dropped)");
  }
  SECTION("warn: the failure only") {
    run_outage(LogLevel::warn);
    CHECK(log.read().size() == 1);
  }
}

TEST_CASE_METHOD(FiveSpans, "OTLP: at debug level each export is described in one line") {
  auto options = quiet_options(&log);
  options.diagnostics_level = LogLevel::debug;
  auto exporter = make_exporter(settings_for(receiver), options);

  receiver.set_default_response({.status = 200,
                                 .body = serialized_partial_success(2, "2 spans had no name"),
                                 .content_type = "application/x-protobuf"});
  REQUIRE(export_through(*exporter).ok());
  answer(200);
  REQUIRE(export_through(*exporter).ok());
  REQUIRE(export_through(*exporter).ok());

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 3);
  const std::string bytes = std::to_string(requests[0].body.size());
  // The fake clock stands still while nothing is retried.
  const std::string accepted_line =
      "otlp exporter: 5 spans, 1 request, " + bytes + " bytes encoded, 0.0 ms: 5 accepted";
  CHECK(log.read() == std::vector<std::string>{
                          "otlp exporter: the backend rejected 2 of 5 spans: 2 spans had no name",
                          "otlp exporter: 5 spans, 1 request, " + bytes +
                              " bytes encoded, 0.0 ms: 3 accepted, 2 rejected",
                          accepted_line, accepted_line});
}

TEST_CASE("OTLP: a 400 is dropped with the server's Status message, not retried, logged once") {
  HttpReceiver receiver;
  google::rpc::Status status;
  status.set_code(3);
  status.set_message("span 0 has an invalid trace id");
  receiver.set_default_response({.status = 400,
                                 .body = status.SerializeAsString(),
                                 .content_type = "application/x-protobuf"});
  SpanSamples samples;
  const SpanData span = samples.root_span();
  DiagnosticLog log;
  auto settings = settings_for(receiver);
  settings.headers = {{"api-key", "sk-very-secret"}};
  auto exporter = make_exporter(settings, quiet_options(&log));

  auto first = exporter->export_spans(batch_of(samples.resource, {&span}));
  auto second = exporter->export_spans(batch_of(samples.resource, {&span}));

  CHECK_FALSE(first.ok());
  const std::string reason =
      "POST " + receiver.url("/v1/traces") +
      ": the server answered 400 Bad Request: span 0 has an invalid trace id";
  CHECK(first.message == reason);
  CHECK_FALSE(second.ok());
  CHECK(receiver.request_count() == 2);
  CHECK(receiver.requests().at(0).header("api-key") == "sk-very-secret");
  auto messages = log.read();
  REQUIRE(messages == std::vector<std::string>{"otlp exporter: dropped 1 spans: " + reason});
  CHECK(messages[0].find("sk-very-secret") == std::string::npos);
}

TEST_CASE("OTLP: bodies over the request limit are split; a span alone over it is rejected") {
  HttpReceiver receiver;
  SpanSamples samples;
  std::vector<SpanData> spans;
  for (int index = 0; index < 10; ++index) {
    spans.push_back(samples.root_span("span " + std::to_string(index)));
    spans.back().attributes = {{"padding", std::string(300, 'x')}};
  }
  DiagnosticLog log;
  auto options = quiet_options(&log);
  options.max_request_body_bytes = 1500;
  auto exporter = make_exporter(settings_for(receiver), std::move(options));

  SECTION("every span arrives, in order, in requests within the limit") {
    const auto pointers = pointers_to(spans);
    auto result = exporter->export_spans(batch_of(samples.resource, pointers));
    REQUIRE(result.ok());
    CHECK(result.rejected_spans == 0);
    auto requests = receiver.requests();
    CHECK(requests.size() > 1);
    std::vector<std::string> names;
    for (const auto& request : requests) {
      CHECK(request.body.size() <= 1500);
      const auto decoded = decode(request);
      for (const auto& span : decoded.resource_spans(0).scope_spans(0).spans())
        names.push_back(span.name());
    }
    REQUIRE(names.size() == 10);
    for (int index = 0; index < 10; ++index)
      CHECK(names[index] == "span " + std::to_string(index));
  }
  SECTION("a span that cannot fit is rejected, the others are delivered") {
    spans[3].attributes = {{"padding", std::string(5000, 'y')}};
    const auto pointers = pointers_to(spans);
    auto result = exporter->export_spans(batch_of(samples.resource, pointers));
    REQUIRE(result.ok());
    CHECK(result.rejected_spans == 1);
    CHECK(result.message ==
          "the backend rejected 1 of 10 spans: a span does not fit in one request of at most "
          "1500 bytes");
    std::size_t delivered = 0;
    for (const auto& request : receiver.requests())
      delivered += decode(request).resource_spans(0).scope_spans(0).spans_size();
    CHECK(delivered == 9);
  }
}

TEST_CASE("OTLP: gzip compression, with the Content-Encoding header") {
  HttpReceiver receiver;
  SpanSamples samples;
  const SpanData span = samples.full_span();
  auto settings = settings_for(receiver);
  settings.compression = Compression::gzip;
  auto exporter = make_exporter(settings, quiet_options());

  REQUIRE(exporter->export_spans(batch_of(samples.resource, {&span})).ok());

  const auto request = receiver.requests().at(0);
  CHECK(request.header("Content-Encoding") == "gzip");
  CHECK(decode(request).resource_spans(0).scope_spans(0).spans(0).name() == "GET /api/specs");
}

TEST_CASE("OTLP: a backend that hangs costs at most the exporter timeout") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::hang());
  SpanSamples samples;
  const SpanData span = samples.root_span();
  auto settings = settings_for(receiver);
  settings.timeout = 200ms;
  auto exporter = make_exporter(settings, HttpExporterOptions{.diagnostics = [](auto) {}});

  const auto started = std::chrono::steady_clock::now();
  auto result = exporter->export_spans(batch_of(samples.resource, {&span}, 60s));
  const auto elapsed = std::chrono::steady_clock::now() - started;

  CHECK_FALSE(result.ok());
  CHECK(result.message.find("before the export deadline") != std::string::npos);
  CHECK(elapsed < 10s);
}

TEST_CASE("OTLP: a backend that answers garbage fails the export with a clear reason") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::garbage("\x01\x02 not http\r\n\r\n"));
  SpanSamples samples;
  const SpanData span = samples.root_span();
  auto exporter = make_exporter(settings_for(receiver), quiet_options());

  auto result = exporter->export_spans(batch_of(samples.resource, {&span}));

  CHECK_FALSE(result.ok());
  CHECK(result.message.find("is not valid HTTP") != std::string::npos);
}

TEST_CASE("OTLP: a 200 whose body is not a response still counts the spans as exported") {
  HttpReceiver receiver;
  receiver.set_default_response(
      {.status = 200, .body = "\xFF\xFF\xFF", .content_type = "application/x-protobuf"});
  SpanSamples samples;
  const SpanData span = samples.root_span();
  DiagnosticLog log;
  auto exporter = make_exporter(settings_for(receiver), quiet_options(&log));

  auto result = exporter->export_spans(batch_of(samples.resource, {&span}));

  CHECK(result.ok());
  CHECK(result.rejected_spans == 0);
  REQUIRE(log.read().size() == 1);
  CHECK(log.read()[0].find("not an ExportTraceServiceResponse") != std::string::npos);
}

TEST_CASE("OTLP through the pipeline: ids and parents arrive, and the counters add up") {
  HttpReceiver receiver;
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_exporter(settings_for(receiver), quiet_options()));
  TracerProvider provider(ProviderSettings{}, std::move(exporters));
  Tracer tracer = provider.tracer("shop.checkout", "1.4.0");

  SpanContext parent_context, child_context;
  {
    auto parent = tracer.start_span("parent", {.kind = SpanKind::server});
    auto scope = parent.activate();
    auto child = tracer.start_span("child", {.kind = SpanKind::client});
    child.set_attribute("peer.service", "inventory");
    parent_context = parent.context();
    child_context = child.context();
  }
  REQUIRE(provider.force_flush(10s));

  std::vector<otlp::trace::v1::Span> received;
  for (const auto& request : receiver.requests()) {
    const auto decoded = decode(request);
    for (const auto& scope_spans : decoded.resource_spans(0).scope_spans())
      for (const auto& span : scope_spans.spans())
        received.push_back(span);
  }
  REQUIRE(received.size() == 2);
  CHECK(received[0].name() == "child");  // ended first
  CHECK(received[0].span_id() == bytes_of(child_context.span_id));
  CHECK(received[0].parent_span_id() == bytes_of(parent_context.span_id));
  CHECK(received[0].trace_id() == bytes_of(parent_context.trace_id));
  CHECK(received[1].name() == "parent");
  CHECK(received[1].parent_span_id().empty());
  auto counters = provider.counters();
  REQUIRE(counters.exporters.size() == 1);
  CHECK(counters.exporters[0].name == "otlp");
  CHECK(counters.exporters[0].exported == 2);
  CHECK(counters.exporters[0].dropped == 0);
}

TEST_CASE("OTLP through the pipeline: rejected and failed spans are counted as dropped") {
  HttpReceiver receiver;
  receiver.add_response({.status = 200,
                         .body = serialized_partial_success(1, "one too many"),
                         .content_type = "application/x-protobuf"});
  receiver.add_response({.status = 400});
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_exporter(settings_for(receiver), quiet_options()));
  TracerProvider provider(ProviderSettings{}, std::move(exporters));
  Tracer tracer = provider.tracer("test");

  for (int index = 0; index < 3; ++index)
    tracer.start_span("first batch");
  REQUIRE(provider.force_flush(10s));
  for (int index = 0; index < 2; ++index)
    tracer.start_span("second batch");
  provider.force_flush(10s);

  auto counters = provider.counters();
  CHECK(counters.spans_ended == 5);
  CHECK(counters.exporters[0].exported == 2);
  CHECK(counters.exporters[0].dropped == 3);
  CHECK(counters.exporters[0].failed_exports == 1);
}

TEST_CASE("OTLP: shutdown against a hanging backend ends within its timeout, counting the loss") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::hang());
  auto settings = settings_for(receiver);
  settings.timeout = 0ms;  // no exporter timeout: only the shutdown deadline can end the export
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_exporter(settings, HttpExporterOptions{.diagnostics = [](auto) {}}));
  ProviderSettings provider_settings;
  provider_settings.batch.export_timeout = 0ms;
  TracerProvider provider(provider_settings, std::move(exporters));
  Tracer tracer = provider.tracer("test");
  for (int index = 0; index < 4; ++index)
    tracer.start_span("stuck");

  const auto started = std::chrono::steady_clock::now();
  const bool clean = provider.shutdown(300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  CHECK_FALSE(clean);
  CHECK(elapsed < 20s);
  auto counters = provider.counters();
  CHECK(counters.spans_ended == 4);
  CHECK(counters.exporters[0].exported + counters.exporters[0].dropped == 4);
  CHECK(counters.exporters[0].exported == 0);
}

TEST_CASE("OTLP from the environment: endpoint, protocol and headers (percent-decoded)") {
  HttpReceiver receiver;
  auto environment = Environment::from_pairs({
      {"OTEL_TRACES_EXPORTER", "otlp"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url("/otlp")},
      {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=a%20b%3Dc,tenant=7"},
  });
  auto config = finalize_config(TracingConfig{}, environment);
  REQUIRE(config);
  auto provider = make_tracer_provider(*config);
  REQUIRE(provider);
  provider->tracer("env").start_span("from the environment");
  REQUIRE(provider->force_flush(10s));

  auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/otlp/v1/traces");
  CHECK(requests[0].header("Content-Type") == "application/json");
  CHECK(requests[0].header("x-api-key") == "a b=c");
  CHECK(requests[0].header("tenant") == "7");
  const auto body = nlohmann::json::parse(requests[0].body);
  CHECK(body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "from the environment");
}

TEST_CASE("OTLP: settings that cannot work are errors when the exporter is made") {
  OtlpExporterSettings settings;
  SECTION("an endpoint that is not a URL") {
    settings.endpoint = "collector:4318";
    auto exporter = make_otlp_exporter(settings);
    REQUIRE_FALSE(exporter);
    CHECK(
        exporter.error().message.starts_with("the otlp exporter: expected an http:// or https:// "
                                             "URL, but got \"collector:4318\""));
  }
  SECTION("an unreadable certificate file") {
    settings.endpoint = "https://collector:4318/v1/traces";
    settings.certificate_file = "/nonexistent/ca.pem";
    auto exporter = make_otlp_exporter(settings);
    REQUIRE_FALSE(exporter);
    CHECK(exporter.error().message.starts_with(
        "the otlp exporter: cannot load CA certificates from \"/nonexistent/ca.pem\""));
  }
  SECTION("a header value with a line break, not shown") {
    settings.headers = {{"authorization", "Bearer abc\r\ndef"}};
    auto exporter = make_otlp_exporter(settings);
    REQUIRE_FALSE(exporter);
    CHECK(exporter.error().message.find("abc") == std::string::npos);
  }
}

TEST_CASE("OTLP: 503 then success delivers the batch once, after one backoff") {
  HttpReceiver receiver;
  receiver.add_response({.status = 503});
  SpanSamples samples;
  const SpanData span = samples.root_span();
  auto clock = std::make_shared<FakeTransportClock>();
  HttpExporterOptions options;
  options.clock = clock;
  options.diagnostics = [](std::string_view) {};
  auto exporter = make_exporter(settings_for(receiver), options);

  auto result = exporter->export_spans(batch_of(samples.resource, {&span}));

  REQUIRE(result.ok());
  CHECK(result.rejected_spans == 0);
  CHECK(receiver.request_count() == 2);
  CHECK(clock->sleeps().size() == 1);
  CHECK(decode(receiver.requests().at(1)).resource_spans(0).scope_spans(0).spans(0).name() ==
        "root");
}
