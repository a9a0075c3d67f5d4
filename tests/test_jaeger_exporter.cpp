// The Jaeger exporter's bytes are checked against vectors derived by hand from two documents:
// the Thrift binary protocol specification (apache/thrift doc/specs/thrift-binary-protocol.md)
// and jaeger.thrift (jaegertracing/jaeger-idl). The rules used:
//   - integers are big-endian: i16 2 bytes, i32 4, i64 8; a double is its IEEE 754 bits as i64;
//     a bool is one byte, 1 or 0;
//   - a string is its byte length as i32, then its UTF-8 bytes;
//   - a struct is a sequence of fields, each a header (type byte, field id as i16) and a value,
//     ended by a stop byte 00; type bytes: BOOL 02, DOUBLE 04, I32 08, I64 0A, STRING 0B,
//     STRUCT 0C, LIST 0F;
//   - a list is its element type byte, its size as i32, then the elements;
//   - enums are i32: TagType STRING 0, DOUBLE 1, BOOL 2, LONG 3; SpanRefType CHILD_OF 0,
//     FOLLOWS_FROM 1.
// jaeger.thrift's field ids: Batch {1 process, 2 spans}; Process {1 serviceName, 2 tags};
// Span {1 traceIdLow, 2 traceIdHigh, 3 spanId, 4 parentSpanId, 5 operationName, 6 references,
// 7 flags, 8 startTime, 9 duration, 10 tags, 11 logs}; Tag {1 key, 2 vType, 3 vStr, 4 vDouble,
// 5 vBool, 6 vLong}; Log {1 timestamp, 2 fields}; SpanRef {1 refType, 2 traceIdLow,
// 3 traceIdHigh, 4 spanId}.
#include <catch2/catch.hpp>
#include <cstring>

#include "support/fake_transport_clock.hpp"
#include "support/http_receiver.hpp"
#include "support/span_samples.hpp"
#include "support/test_certificates.hpp"
#include "tachi_trace/exporters/jaeger.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
using namespace std::chrono_literals;

namespace {

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t index = 0; index + 1 < hex.size();) {
    if (hex[index] == ' ' || hex[index] == '\n') {
      ++index;
      continue;
    }
    bytes += static_cast<char>(std::stoi(std::string(hex.substr(index, 2)), nullptr, 16));
    index += 2;
  }
  return bytes;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (char byte : bytes) {
    hex += digits[static_cast<unsigned char>(byte) >> 4];
    hex += digits[static_cast<unsigned char>(byte) & 0xF];
  }
  return hex;
}

// The spec's rules, one function each, for the longer vector.
namespace wire {
std::string big_endian(std::uint64_t value, int width) {
  std::string bytes;
  for (int index = width - 1; index >= 0; --index)
    bytes += static_cast<char>(value >> (8 * index));
  return bytes;
}
std::string field(std::uint8_t type, std::int16_t id) {
  return std::string(1, static_cast<char>(type)) + big_endian(static_cast<std::uint16_t>(id), 2);
}
constexpr std::uint8_t boolean = 0x02, double_ = 0x04, i32 = 0x08, i64 = 0x0A, string = 0x0B,
                       structure = 0x0C, list = 0x0F;
const std::string stop(1, '\0');
std::string i32_field(std::int16_t id, std::int32_t value) {
  return field(i32, id) + big_endian(static_cast<std::uint32_t>(value), 4);
}
std::string i64_field(std::int16_t id, std::uint64_t bits) {
  return field(i64, id) + big_endian(bits, 8);
}
std::string string_field(std::int16_t id, std::string_view text) {
  return field(string, id) + big_endian(text.size(), 4) + std::string(text);
}
std::string list_header(std::int16_t id, std::uint8_t element_type, std::uint32_t size) {
  return field(list, id) + std::string(1, static_cast<char>(element_type)) + big_endian(size, 4);
}
// Tag structs: key, vType, then the value field of that type.
std::string string_tag(std::string_view key, std::string_view value) {
  return string_field(1, key) + i32_field(2, 0) + string_field(3, value) + stop;
}
std::string double_tag(std::string_view key, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, 8);
  return string_field(1, key) + i32_field(2, 1) + field(double_, 4) + big_endian(bits, 8) + stop;
}
std::string bool_tag(std::string_view key, bool value) {
  return string_field(1, key) + i32_field(2, 2) + field(boolean, 5) +
         std::string(1, value ? '\1' : '\0') + stop;
}
std::string long_tag(std::string_view key, std::int64_t value) {
  return string_field(1, key) + i32_field(2, 3) + i64_field(6, static_cast<std::uint64_t>(value)) +
         stop;
}
}  // namespace wire

/// Exporter options for the tests: a fake clock, diagnostics to `sink` (none by default).
HttpExporterOptions test_options(DiagnosticSink sink = [](std::string_view) {}) {
  HttpExporterOptions options;
  options.clock = std::make_shared<FakeTransportClock>();
  options.diagnostics = std::move(sink);
  return options;
}

/// A receiver answering 202, as Jaeger collectors do, and settings that send to it.
struct JaegerCollector {
  explicit JaegerCollector(HttpReceiver::Options options = {}) : receiver(std::move(options)) {
    receiver.set_default_response({.status = 202});
    settings.endpoint = receiver.url("/api/traces");
  }

  HttpReceiver receiver;
  JaegerExporterSettings settings;
};

std::string encode(const Resource& resource, std::vector<const SpanData*> spans) {
  auto encoder = make_jaeger_encoder();
  std::string body;
  REQUIRE(encoder->encode(resource, spans, body));
  return body;
}

}  // namespace

TEST_CASE("Jaeger: a root span, byte for byte") {
  SpanSamples samples;
  const SpanData span = samples.root_span();
  const Resource resource(Attributes{{"service.name", "svc"}, {"pid", 7}});

  const std::string expected = from_hex(
      // Batch.process (field 1, STRUCT)
      "0c 0001"
      "  0b 0001 00000003 737663"     // serviceName = "svc"
      "  0f 0002 0c 00000001"         // tags: list of 1 struct
      "    0b 0001 00000003 706964"   //   key = "pid"
      "    08 0002 00000003"          //   vType = LONG
      "    0a 0006 0000000000000007"  //   vLong = 7
      "    00"                        //   end of Tag
      "  00"                          // end of Process
      // Batch.spans (field 2, LIST of 1 STRUCT)
      "0f 0002 0c 00000001"
      "  0a 0001 2222222222222222"   // traceIdLow: the last 8 bytes of the trace id
      "  0a 0002 1111111111111111"   // traceIdHigh: the first 8
      "  0a 0003 3333333333333333"   // spanId
      "  0a 0004 0000000000000000"   // parentSpanId: 0, a root
      "  0b 0005 00000004 726f6f74"  // operationName = "root"
      "  08 0007 00000001"           // flags = 1, sampled
      "  0a 0008 00000000000f4240"   // startTime = 1 000 000 us
      "  0a 0009 0000000000000002"   // duration = 2 us (2.5, truncated)
      "  00"                         // end of Span: no references, tags or logs
      "00");                         // end of Batch

  CHECK(to_hex(encode(resource, {&span})) == to_hex(expected));
}

TEST_CASE("Jaeger: ids with the top bit set keep their bits as negative i64") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.context.span_id = span_id_from("ff00000000000000");  // -72057594037927936 as i64
  const Resource resource(Attributes{{"service.name", "s"}});

  const std::string body = encode(resource, {&span});

  CHECK(to_hex(body).find("0a0003ff00000000000000") != std::string::npos);
}

TEST_CASE("Jaeger: a full span, byte for byte, with every mapping rule") {
  SpanSamples samples;
  const SpanData span = samples.full_span();
  using namespace wire;

  std::string expected;
  // Process: service.name is the serviceName; the other resource attributes are typed tags.
  expected += field(structure, 1) + string_field(1, "checkout") + list_header(2, structure, 2) +
              string_tag("service.version", "1.4.0") + long_tag("process.pid", 4242) + stop;
  expected += list_header(2, structure, 1);
  expected += i64_field(1, 0xa3ce929d0e0e4736) + i64_field(2, 0x4bf92f3577b34da6) +
              i64_field(3, 0x00f067aa0ba902b7) + i64_field(4, 0x53995c3f42cd8ad8) +
              string_field(5, "GET /api/specs");
  // References: the parent as CHILD_OF first, then the link as FOLLOWS_FROM.
  expected += list_header(6, structure, 2);
  expected += i32_field(1, 0) + i64_field(2, 0xa3ce929d0e0e4736) +
              i64_field(3, 0x4bf92f3577b34da6) + i64_field(4, 0x53995c3f42cd8ad8) + stop;
  expected += i32_field(1, 1) + i64_field(2, 0x8448eb211c80319c) +
              i64_field(3, 0x0af7651916cd43dd) + i64_field(4, 0xb7ad6b7169203331) + stop;
  // Flags: only the sampled bit of 0x03 (Jaeger would read 0x02 as "debug").
  expected += i32_field(7, 1);
  expected += i64_field(8, 1'700'000'000'123'456) + i64_field(9, 1543);
  // Tags: the attributes (typed; arrays as JSON lists), then what the mapping adds.
  expected += list_header(10, structure, 20);
  expected += string_tag("http.request.method", "GET") +
              long_tag("http.response.status_code", 503) + double_tag("retry.ratio", 0.25) +
              bool_tag("cache.hit", false) + string_tag("tags", R"(["a","b\"c"])") +
              string_tag("ports", "[80,-1]") + string_tag("weights", "[1.5,2]") +
              string_tag("flags", "[true,false]") + long_tag("negative", -42);
  expected +=
      string_tag("span.kind", "server") + string_tag("otel.scope.name", "shop.checkout") +
      string_tag("otel.library.name", "shop.checkout") + string_tag("otel.scope.version", "1.4.0") +
      string_tag("otel.library.version", "1.4.0") + string_tag("otel.status_code", "ERROR") +
      string_tag("otel.status_description", "backend unavailable") + bool_tag("error", true) +
      long_tag("otel.dropped_attributes_count", 3) + long_tag("otel.dropped_events_count", 4) +
      long_tag("otel.dropped_links_count", 5);
  // Logs: one per event; the name is the `event` field, then the attributes.
  expected += list_header(11, structure, 2);
  expected += i64_field(1, 1'700'000'000'124'000) + list_header(2, structure, 4) +
              string_tag("event", "cache miss") + string_tag("key", "spec:7") +
              long_tag("size", 12) + long_tag("otel.dropped_attributes_count", 1) + stop;
  expected += i64_field(1, 1'700'000'000'124'500) + list_header(2, structure, 1) +
              string_tag("event", "retry") + stop;
  expected += stop;  // end of Span
  expected += stop;  // end of Batch

  CHECK(to_hex(encode(samples.resource, {&span})) == to_hex(expected));
}

TEST_CASE("Jaeger: an `event` attribute names the log instead of the event's name") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.events = {Event{"ignored name", unix_time(2'000'000'000), {{"event", "from attribute"}}, 0}};
  const Resource resource(Attributes{{"service.name", "s"}});
  using namespace wire;

  const std::string body = encode(resource, {&span});

  const std::string expected_logs = list_header(11, structure, 1) + i64_field(1, 2'000'000) +
                                    list_header(2, structure, 1) +
                                    string_tag("event", "from attribute") + stop;
  CHECK(to_hex(body).find(to_hex(expected_logs)) != std::string::npos);
  CHECK(body.find("ignored name") == std::string::npos);
}

TEST_CASE("Jaeger: an `error` attribute gives way to the status's error tag") {
  SpanSamples samples;
  SpanData span = samples.root_span();
  span.status = Status{StatusCode::error, ""};
  span.attributes = {{"error", "yes"}};
  const Resource resource(Attributes{{"service.name", "s"}});
  using namespace wire;

  const std::string body = encode(resource, {&span});

  const std::string expected_tags = list_header(10, structure, 2) +
                                    string_tag("otel.status_code", "ERROR") +
                                    bool_tag("error", true);
  CHECK(to_hex(body).find(to_hex(expected_tags)) != std::string::npos);
  CHECK(body.find("yes") == std::string::npos);
}

TEST_CASE("Jaeger: POSTed as application/x-thrift through the pipeline, counted as exported") {
  JaegerCollector collector;
  HttpReceiver& receiver = collector.receiver;
  auto exporter = make_jaeger_exporter(collector.settings, test_options());
  REQUIRE(exporter);
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::move(*exporter));
  ProviderSettings provider_settings;
  provider_settings.resource = Resource(Attributes{{"service.name", "jaeger-test"}});
  TracerProvider provider(provider_settings, std::move(exporters));

  SpanContext context;
  {
    auto span = provider.tracer("test").start_span("traced");
    context = span.context();
  }
  REQUIRE(provider.force_flush(10s));

  auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/api/traces");
  CHECK(requests[0].header("Content-Type") == "application/x-thrift");
  using namespace wire;
  const std::string body = requests[0].body;
  CHECK(body.starts_with(field(structure, 1) + string_field(1, "jaeger-test")));
  const auto& id = context.trace_id.bytes();
  const std::string ids = field(i64, 1) + std::string(id.begin() + 8, id.end()) + field(i64, 2) +
                          std::string(id.begin(), id.begin() + 8);
  CHECK(body.find(ids) != std::string::npos);
  auto counters = provider.counters();
  CHECK(counters.exporters[0].name == "jaeger");
  CHECK(counters.exporters[0].exported == 1);
}

TEST_CASE("Jaeger: the collector's Basic credentials on every request, when a user is set") {
  JaegerCollector collector;
  HttpReceiver& receiver = collector.receiver;
  JaegerExporterSettings& settings = collector.settings;
  std::vector<std::string> messages;
  const HttpExporterOptions options =
      test_options([&](std::string_view message) { messages.emplace_back(message); });
  SpanSamples samples;
  const SpanData span = samples.root_span();
  auto export_once = [&] {
    auto exporter = make_jaeger_exporter(settings, options);
    REQUIRE(exporter);
    CHECK((*exporter)->export_spans(batch_of(samples.resource, {&span})).ok());
  };

  SECTION("none without a user") {
    export_once();
    REQUIRE(receiver.request_count() == 1);
    CHECK_FALSE(receiver.requests()[0].has_header("Authorization"));
  }
  SECTION("user and password, in base64 of user:password (RFC 7617)") {
    settings.user = "jaeger";
    settings.password = "s3cr:t";
    export_once();
    export_once();
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 2);
    for (const auto& request : requests)
      CHECK(request.header("Authorization") == "Basic amFlZ2VyOnMzY3I6dA==");
  }
  SECTION("a user without a password") {
    settings.user = "jaeger";
    export_once();
    REQUIRE(receiver.request_count() == 1);
    CHECK(receiver.requests()[0].header("Authorization") == "Basic amFlZ2VyOg==");
  }
  SECTION("the credentials never reach a message: a refused export names only the status") {
    settings.user = "jaeger";
    settings.password = "hunter2";
    receiver.set_default_response({.status = 401, .body = "bad credentials"});
    auto exporter = make_jaeger_exporter(settings, options);
    REQUIRE(exporter);
    auto result = (*exporter)->export_spans(batch_of(samples.resource, {&span}));
    CHECK_FALSE(result.ok());
    CHECK_THAT(result.message, Catch::Contains("401"));
    CHECK_THAT(result.message, !Catch::Contains("hunter2") && !Catch::Contains("amFlZ2Vy"));
    for (const auto& message : messages)
      CHECK_THAT(message, !Catch::Contains("hunter2") && !Catch::Contains("amFlZ2Vy"));
  }
  SECTION("settings the header cannot carry are refused when the exporter is made") {
    settings.user = "a:b";
    auto colon = make_jaeger_exporter(settings, options);
    REQUIRE_FALSE(colon);
    CHECK(colon.error().message ==
          "the Jaeger exporter's user name cannot hold ':' (HTTP Basic authentication)");
    settings.user.clear();
    settings.password = "alone";
    auto alone = make_jaeger_exporter(settings, options);
    REQUIRE_FALSE(alone);
    CHECK(alone.error().message == "the Jaeger exporter has a password but no user name");
  }
}

TEST_CASE("Jaeger over https: verified against the CA its settings name") {
  const TestCertificates certificates = make_test_certificates();
  JaegerCollector collector(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}});
  HttpReceiver& receiver = collector.receiver;
  JaegerExporterSettings& settings = collector.settings;
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  TemporaryFile other_ca("other-ca.pem", certificates.other_ca_pem);
  const HttpExporterOptions options = test_options();
  SpanSamples samples;
  const SpanData span = samples.root_span();

  SECTION("trusted: delivered") {
    settings.certificate_file = ca.path();
    auto exporter = make_jaeger_exporter(settings, options);
    REQUIRE(exporter);
    CHECK((*exporter)->export_spans(batch_of(samples.resource, {&span})).ok());
    auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].header("Content-Type") == "application/x-thrift");
  }
  SECTION("signed by another CA: dropped, with the reason") {
    settings.certificate_file = other_ca.path();
    auto exporter = make_jaeger_exporter(settings, options);
    REQUIRE(exporter);
    auto result = (*exporter)->export_spans(batch_of(samples.resource, {&span}));
    CHECK_FALSE(result.ok());
    CHECK(result.message.find("certificate verify failed") != std::string::npos);
    CHECK(receiver.request_count() == 0);
  }
}
