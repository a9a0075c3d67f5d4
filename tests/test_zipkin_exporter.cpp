#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/fake_transport_clock.hpp"
#include "support/http_receiver.hpp"
#include "support/span_samples.hpp"
#include "support/test_certificates.hpp"
#include "tachi_trace/exporters/zipkin.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::unique_ptr<SpanExporter> make_exporter(const ZipkinExporterSettings& settings) {
  HttpExporterOptions options;
  options.clock = std::make_shared<FakeTransportClock>();
  options.diagnostics = [](std::string_view) {};
  auto exporter = make_zipkin_exporter(settings, options);
  if (!exporter) FAIL(exporter.error().message);
  return std::move(*exporter);
}

std::unique_ptr<SpanExporter> make_exporter(const HttpReceiver& receiver) {
  ZipkinExporterSettings settings;
  settings.endpoint = receiver.url("/api/v2/spans");
  return make_exporter(settings);
}

/// Exports `spans` to a fresh receiver and returns the JSON array it received.
json export_and_read(const Resource& resource, std::vector<const SpanData*> spans) {
  HttpReceiver receiver;
  receiver.set_default_response({.status = 202});
  auto exporter = make_exporter(receiver);
  auto result = exporter->export_spans(batch_of(resource, spans));
  if (!result.ok()) FAIL(result.message);
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/api/v2/spans");
  CHECK(requests[0].header("Content-Type") == "application/json");
  return json::parse(requests[0].body);
}

}  // namespace

TEST_CASE("Zipkin: a full span maps field by field to Zipkin v2 JSON") {
  SpanSamples samples;
  const SpanData span = samples.full_span();

  const json body = export_and_read(samples.resource, {&span});

  REQUIRE(body.is_array());
  REQUIRE(body.size() == 1);
  const json& decoded = body[0];
  CHECK(decoded.at("traceId") == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(decoded.at("id") == "00f067aa0ba902b7");
  CHECK(decoded.at("parentId") == "53995c3f42cd8ad8");
  CHECK(decoded.at("kind") == "SERVER");
  CHECK(decoded.at("name") == "GET /api/specs");
  // Microseconds, whole: the start truncates 123456789 ns to 123456 us; the duration
  // 1543211 ns to 1543 us.
  CHECK(decoded.at("timestamp") == 1'700'000'000'123'456);
  CHECK(decoded.at("duration") == 1543);
  CHECK(decoded.at("localEndpoint") == json::parse(R"({"serviceName":"checkout"})"));
  CHECK_FALSE(decoded.contains("remoteEndpoint"));  // only for CLIENT and PRODUCER

  CHECK(decoded.at("annotations") == json::parse(R"([
      {"timestamp": 1700000000124000, "value": "\"cache miss\":{\"key\":\"spec:7\",\"size\":12}"},
      {"timestamp": 1700000000124500, "value": "\"retry\":{}"}])"));

  CHECK(decoded.at("tags") == json::parse(R"({
      "http.request.method": "GET",
      "http.response.status_code": "503",
      "retry.ratio": "0.25",
      "cache.hit": "false",
      "tags": "[\"a\",\"b\\\"c\"]",
      "ports": "[80,-1]",
      "weights": "[1.5,2]",
      "flags": "[true,false]",
      "negative": "-42",
      "otel.scope.name": "shop.checkout",
      "otel.library.name": "shop.checkout",
      "otel.scope.version": "1.4.0",
      "otel.library.version": "1.4.0",
      "otel.status_code": "ERROR",
      "error": "backend unavailable",
      "otel.dropped_attributes_count": "3",
      "otel.dropped_events_count": "4",
      "otel.dropped_links_count": "5"})"));
}

TEST_CASE("Zipkin: INTERNAL has no kind, an unset status no tags, a root no parentId") {
  SpanSamples samples;
  const SpanData span = samples.root_span();

  const json decoded = export_and_read(samples.resource, {&span})[0];

  CHECK_FALSE(decoded.contains("kind"));
  CHECK_FALSE(decoded.contains("parentId"));
  CHECK_FALSE(decoded.contains("tags"));
  CHECK_FALSE(decoded.contains("annotations"));
  CHECK(decoded.at("timestamp") == 1'000'000);
  CHECK(decoded.at("duration") == 2);  // 2.5 us, truncated
}

TEST_CASE("Zipkin: status OK is a tag without `error`; a false `error` attribute is removed") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.status = Status{StatusCode::ok, ""};
  span.attributes = {{"error", false}, {"ok", true}};

  const json decoded = export_and_read(samples.resource, {&span})[0];

  CHECK(decoded.at("tags") == json::parse(R"({"ok": "true", "otel.status_code": "OK"})"));
}

TEST_CASE("Zipkin: an ERROR status without description still sets `error`, over an attribute") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.status = Status{StatusCode::error, ""};
  span.attributes = {{"error", "from the attribute"}, {"otel.status_code", "mine"}};

  const json decoded = export_and_read(samples.resource, {&span})[0];

  CHECK(decoded.at("tags") == json::parse(R"({"otel.status_code": "ERROR", "error": ""})"));
}

TEST_CASE("Zipkin: sub-microsecond spans last one microsecond, as Zipkin rounds them") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.end_time = span.start_time + std::chrono::nanoseconds(400);

  CHECK(export_and_read(samples.resource, {&span})[0].at("duration") == 1);
}

TEST_CASE("Zipkin: remoteEndpoint for CLIENT and PRODUCER spans, from the best-ranked attribute") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.kind = SpanKind::client;

  SECTION("peer.service wins over everything") {
    span.attributes = {{"server.address", "10.0.0.1"}, {"peer.service", "inventory"}};
    CHECK(export_and_read(samples.resource, {&span})[0].at("remoteEndpoint") ==
          json::parse(R"({"serviceName":"inventory"})"));
  }
  SECTION("server.address over network.peer.address") {
    span.attributes = {{"network.peer.address", "10.0.0.2"}, {"server.address", "db.internal"}};
    CHECK(export_and_read(samples.resource, {&span})[0].at("remoteEndpoint") ==
          json::parse(R"({"serviceName":"db.internal"})"));
  }
  SECTION("an IPv4 address with its port") {
    span.attributes = {{"network.peer.address", "10.0.0.2"}, {"network.peer.port", 5432}};
    CHECK(export_and_read(samples.resource, {&span})[0].at("remoteEndpoint") ==
          json::parse(R"({"ipv4":"10.0.0.2","port":5432})"));
  }
  SECTION("an IPv6 address") {
    span.kind = SpanKind::producer;
    span.attributes = {{"net.sock.peer.addr", "2001:db8::1"}, {"net.sock.peer.port", "9092"}};
    CHECK(export_and_read(samples.resource, {&span})[0].at("remoteEndpoint") ==
          json::parse(R"({"ipv6":"2001:db8::1","port":9092})"));
  }
  SECTION("not for a SERVER span") {
    span.kind = SpanKind::server;
    span.attributes = {{"peer.service", "inventory"}};
    CHECK_FALSE(export_and_read(samples.resource, {&span})[0].contains("remoteEndpoint"));
  }
  SECTION("none when no ranked attribute is present") {
    span.attributes = {{"http.method", "GET"}};
    CHECK_FALSE(export_and_read(samples.resource, {&span})[0].contains("remoteEndpoint"));
  }
}

TEST_CASE("Zipkin: a resource without service.name uses the default resource's name") {
  SpanSamples samples;
  const SpanData span = samples.root_span();
  const Resource resource(Attributes{{"host.name", "web-1"}});

  CHECK(export_and_read(resource, {&span})[0].at("localEndpoint").at("serviceName") ==
        "unknown_service");
}

TEST_CASE("Zipkin: many spans in one array, in order") {
  SpanSamples samples;
  std::vector<SpanData> spans;
  for (int index = 0; index < 20; ++index)
    spans.push_back(samples.root_span("span " + std::to_string(index)));
  std::vector<const SpanData*> pointers;
  for (const auto& span : spans)
    pointers.push_back(&span);

  const json body = export_and_read(samples.resource, pointers);

  REQUIRE(body.size() == 20);
  for (int index = 0; index < 20; ++index)
    CHECK(body[index].at("name") == "span " + std::to_string(index));
}

TEST_CASE("Zipkin through the pipeline: 202 counts as exported; a 500 drops with the reason") {
  HttpReceiver receiver;
  receiver.add_response({.status = 202});
  receiver.add_response({.status = 500, .body = "storage is full\n", .content_type = "text/plain"});
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_exporter(receiver));
  TracerProvider provider(ProviderSettings{}, std::move(exporters));
  Tracer tracer = provider.tracer("zipkin.test", "2.0");

  SpanContext parent_context;
  {
    auto parent = tracer.start_span("parent");
    parent_context = parent.context();
    auto scope = parent.activate();
    tracer.start_span("child");
  }
  REQUIRE(provider.force_flush(10s));
  tracer.start_span("lost");
  provider.force_flush(10s);

  const json first = json::parse(receiver.requests().at(0).body);
  REQUIRE(first.size() == 2);
  CHECK(first[0].at("name") == "child");
  CHECK(first[0].at("parentId") == parent_context.span_id.to_hex());
  CHECK(first[0].at("traceId") == parent_context.trace_id.to_hex());
  CHECK(first[0].at("tags").at("otel.scope.name") == "zipkin.test");
  auto counters = provider.counters();
  CHECK(counters.exporters[0].name == "zipkin");
  CHECK(counters.exporters[0].exported == 2);
  CHECK(counters.exporters[0].dropped == 1);
  CHECK(counters.exporters[0].failed_exports == 1);
}

TEST_CASE("Zipkin: a refused request carries the server's text in its reason") {
  HttpReceiver receiver;
  receiver.set_default_response(
      {.status = 400, .body = "Malformed reading List<Span>\n", .content_type = "text/plain"});
  auto exporter = make_exporter(receiver);
  SpanSamples samples;
  const SpanData span = samples.root_span();

  auto result = exporter->export_spans(batch_of(samples.resource, {&span}));

  CHECK_FALSE(result.ok());
  CHECK(result.message ==
        "POST " + receiver.url("/api/v2/spans") +
            ": the server answered 400 Bad Request: Malformed reading List<Span>");
}

TEST_CASE(
    "Zipkin over https: verified against the CA its settings name, with a client certificate") {
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(
      HttpReceiver::Options{.tls = ReceiverTls{certificates.server_certificate_pem,
                                               certificates.server_key_pem, certificates.ca_pem}});
  receiver.set_default_response({.status = 202});
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  TemporaryFile other_ca("other-ca.pem", certificates.other_ca_pem);
  TemporaryFile client_certificate("client.pem", certificates.client_certificate_pem);
  TemporaryFile client_key("client-key.pem", certificates.client_key_pem);
  ZipkinExporterSettings settings;
  settings.endpoint = receiver.url("/api/v2/spans");
  settings.client_certificate_file = client_certificate.path();
  settings.client_key_file = client_key.path();
  SpanSamples samples;
  const SpanData span = samples.root_span();

  SECTION("trusted: delivered") {
    settings.certificate_file = ca.path();
    auto exporter = make_exporter(settings);
    auto result = exporter->export_spans(batch_of(samples.resource, {&span}));
    CHECK(result.ok());
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    CHECK(json::parse(requests[0].body).at(0).at("id") == span.context.span_id.to_hex());
  }
  SECTION("signed by another CA: dropped, with the reason") {
    settings.certificate_file = other_ca.path();
    auto exporter = make_exporter(settings);
    auto result = exporter->export_spans(batch_of(samples.resource, {&span}));
    CHECK_FALSE(result.ok());
    CHECK(result.message.find("certificate verify failed") != std::string::npos);
    CHECK(receiver.request_count() == 0);
  }
  SECTION("an unreadable CA file: an error when the exporter is made") {
    settings.certificate_file = "/nonexistent/ca.pem";
    auto exporter = make_zipkin_exporter(settings);
    REQUIRE_FALSE(exporter);
    CHECK(exporter.error().message.starts_with(
        "the zipkin exporter: cannot load CA certificates from \"/nonexistent/ca.pem\""));
  }
}
