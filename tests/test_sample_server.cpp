// The sample server as a user runs it: the real tachi-sample-server binary started as a child
// process on 127.0.0.1 (port 0, a temporary SQLite file), exporting OTLP/HTTP protobuf to an
// in-test receiver; requests over real sockets; the exported spans decoded with the OTLP schemas.
// The server's standard error (warnings, access log) is kept in TACHI_TEST_ARTIFACT_DIR.
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sample_config.hpp"
#include "support/child_process.hpp"
#include "support/forward_proxy.hpp"
#include "support/http_receiver.hpp"
#include "support/test_certificates.hpp"
#include "tachi_trace/config.hpp"

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using tachi_trace::testing::ChildProcess;
using tachi_trace::testing::HttpReceiver;

namespace {

namespace otlp = opentelemetry::proto;

// ---- the server process ---------------------------------------------------------------------

struct TemporaryFolder {
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tachi-sample-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

std::filesystem::path artifact(const std::string& name) {
  std::filesystem::create_directories(TACHI_TEST_ARTIFACT_DIR);
  const auto path = std::filesystem::path(TACHI_TEST_ARTIFACT_DIR) / name;
  std::filesystem::remove(path);
  return path;
}

/// The binary on port 0 with a database of its own; `port` is what it printed.
struct SampleServer {
  SampleServer(const std::string& log_name, ChildProcess::Variables variables) {
    variables.emplace_back("TACHI_LISTEN", "127.0.0.1:0");
    variables.emplace_back("TACHI_DB", (folder.path / "sample.db").string());
    process.emplace(TACHI_SAMPLE_SERVER, std::vector<std::string>{}, variables, artifact(log_name));
    auto line = process->wait_for_output("listening on http://127.0.0.1:", 30s);
    INFO(process->error_log());
    REQUIRE(line);
    port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }

  /// SIGTERM (or `signal_number`), then the exit (at most 20 s).
  tachi_trace::testing::ChildExit terminate(int signal_number = SIGTERM) {
    process->send_signal(signal_number);
    auto ended = process->wait_for_exit(20s);
    INFO(process->error_log());
    REQUIRE(ended);
    return *ended;
  }

  TemporaryFolder folder;
  std::optional<ChildProcess> process;
  std::uint16_t port = 0;
};

ChildProcess::Variables otlp_to(const HttpReceiver& receiver, std::string schedule_delay = "50",
                                std::string mock_latency = "5") {
  return {{"OTEL_TRACES_EXPORTER", "otlp"},
          {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url("/v1/traces")},
          {"OTEL_BSP_SCHEDULE_DELAY", std::move(schedule_delay)},
          {"TACHI_MOCK_LATENCY", std::move(mock_latency)}};
}

// ---- a blocking HTTP client with bounded waits -----------------------------------------------

struct Reply {
  unsigned status = 0;  // 0: no answer (refused, reset, timed out)
  std::string content_type;
  std::string body;

  json body_json() const { return json::parse(body, nullptr, false); }
};

Reply send_request(std::uint16_t port, http::verb method, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                   const std::string& body = {}) {
  net::io_context io;
  net::ip::tcp::socket socket(io);
  boost::system::error_code error;
  socket.connect({net::ip::make_address_v4("127.0.0.1"), port}, error);
  if (error) return {};
  const timeval limit{10, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers)
    request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request, error);
  if (error) return {};
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response, error);
  if (error) return {};
  return {response.result_int(), std::string(response[http::field::content_type]),
          std::move(response.body())};
}

Reply get(std::uint16_t port, const std::string& target,
          const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return send_request(port, http::verb::get, target, headers);
}

Reply post(std::uint16_t port, const std::string& target, const std::string& body,
           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return send_request(port, http::verb::post, target, headers, body);
}

std::string random_hex(std::size_t bytes) {
  static std::mutex mutex;
  static std::mt19937_64 generator(std::random_device{}());
  std::lock_guard lock(mutex);
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t index = 0; index < bytes * 2; ++index)
    text += digits[generator() % 16];
  return text;
}

// ---- the exported spans ---------------------------------------------------------------------

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : bytes) {
    text += digits[byte >> 4];
    text += digits[byte & 0x0F];
  }
  return text;
}

struct ExportedSpan {
  std::string trace_id, span_id, parent_span_id, name, service;
  otlp::trace::v1::Span::SpanKind kind{};
  std::map<std::string, std::string> attributes;  // string and integer values, as text
};

std::string attribute_text(const otlp::common::v1::AnyValue& value) {
  if (value.has_string_value()) return value.string_value();
  if (value.has_int_value()) return std::to_string(value.int_value());
  return "?";
}

std::string service_of(const otlp::resource::v1::Resource& resource) {
  for (const auto& attribute : resource.attributes())
    if (attribute.key() == "service.name") return attribute_text(attribute.value());
  return {};
}

/// Every span the receiver got on /v1/traces.
std::vector<ExportedSpan> exported_spans(const HttpReceiver& receiver) {
  std::vector<ExportedSpan> spans;
  for (const auto& request : receiver.requests()) {
    otlp::collector::trace::v1::ExportTraceServiceRequest decoded;
    if (request.target != "/v1/traces") continue;
    REQUIRE(decoded.ParseFromString(request.body));
    for (const auto& resource_spans : decoded.resource_spans())
      for (const auto& scope_spans : resource_spans.scope_spans())
        for (const auto& span : scope_spans.spans()) {
          ExportedSpan exported{hex(span.trace_id()),
                                hex(span.span_id()),
                                hex(span.parent_span_id()),
                                span.name(),
                                service_of(resource_spans.resource()),
                                span.kind(),
                                {}};
          for (const auto& attribute : span.attributes())
            exported.attributes[attribute.key()] = attribute_text(attribute.value());
          spans.push_back(std::move(exported));
        }
  }
  return spans;
}

std::vector<ExportedSpan> spans_of_trace(const std::vector<ExportedSpan>& spans,
                                         const std::string& trace_id) {
  std::vector<ExportedSpan> found;
  for (const auto& span : spans)
    if (span.trace_id == trace_id) found.push_back(span);
  return found;
}

/// Waits (at most 15 s) until `count` spans of `trace_id` were exported.
std::vector<ExportedSpan> wait_for_trace(const HttpReceiver& receiver, const std::string& trace_id,
                                         std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  std::vector<ExportedSpan> spans;
  do {
    spans = spans_of_trace(exported_spans(receiver), trace_id);
    if (spans.size() >= count) break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return spans;
}

const ExportedSpan& only_span_named(const std::vector<ExportedSpan>& spans,
                                    const std::string& name) {
  const ExportedSpan* found = nullptr;
  for (const auto& span : spans) {
    if (span.name != name) continue;
    INFO("span " << name << " was exported twice");
    REQUIRE(found == nullptr);
    found = &span;
  }
  INFO("no span named " << name);
  REQUIRE(found != nullptr);
  return *found;
}

std::string names_of(const std::vector<ExportedSpan>& spans) {
  std::string names;
  for (const auto& span : spans)
    names += span.name + " (" + span.span_id + " < " + span.parent_span_id + ")\n";
  return names;
}

using Kind = otlp::trace::v1::Span;

}  // namespace

TEST_CASE("the sample server exports the execution tree and /metrics points at it") {
  HttpReceiver receiver;
  SampleServer server("sample-server-tree.log", otlp_to(receiver));
  const std::string trace_id = random_hex(16);
  const std::string caller_span = random_hex(8);
  const Reply reply = post(server.port, "/api/specs/1/execute", R"({"input": "printer on fire"})",
                           {{"traceparent", "00-" + trace_id + "-" + caller_span + "-01"}});
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  const json answer = reply.body_json();
  CHECK(answer["trace_id"] == trace_id);
  CHECK(answer["spec_id"] == 1);
  CHECK_THAT(answer["output"].get<std::string>(), Catch::Contains("sentences: printer on f"));

  const auto spans = wait_for_trace(receiver, trace_id, 7);
  INFO(names_of(spans));
  REQUIRE(spans.size() == 7);
  const auto& request = only_span_named(spans, "POST /api/specs/{id}/execute");
  CHECK(request.kind == Kind::SPAN_KIND_SERVER);
  CHECK(request.parent_span_id == caller_span);
  CHECK(request.span_id == answer["span_id"]);
  CHECK(request.service == "tachi-sample-server");
  CHECK(request.attributes.at("http.route") == "/api/specs/{id}/execute");
  CHECK(request.attributes.at("http.response.status_code") == "200");
  const auto& select = only_span_named(spans, "db.select");
  CHECK(select.parent_span_id == request.span_id);
  CHECK(select.attributes.at("db.system.name") == "sqlite");
  CHECK(select.attributes.at("db.collection.name") == "specs");
  const auto& insert = only_span_named(spans, "db.insert");
  CHECK(insert.parent_span_id == request.span_id);
  CHECK(insert.attributes.at("db.collection.name") == "runs");
  const auto& execution = only_span_named(spans, "llm.execution");
  CHECK(execution.parent_span_id == request.span_id);
  CHECK(execution.attributes.at("spec.id") == "1");
  const auto& backend = only_span_named(spans, "backend.mock.generate");
  CHECK(backend.parent_span_id == execution.span_id);
  const auto& client = only_span_named(spans, "POST");
  CHECK(client.kind == Kind::SPAN_KIND_CLIENT);
  CHECK(client.parent_span_id == backend.span_id);
  CHECK_THAT(client.attributes.at("url.full"), Catch::EndsWith("/mock/llm/generate"));
  const auto& mock = only_span_named(spans, "POST /mock/llm/generate");
  CHECK(mock.kind == Kind::SPAN_KIND_SERVER);
  CHECK(mock.parent_span_id == client.span_id);
  CHECK(mock.attributes.at("server.port") != std::to_string(server.port));  // its own socket
  // The access log names the request's span.
  CHECK_THAT(server.process->error_log(),
             Catch::Contains("trace_id=" + trace_id + " span_id=" + request.span_id +
                             " request method=\"POST\" target=\"/api/specs/1/execute\" "
                             "status=200 duration_ms="));

  SECTION("the OpenMetrics exposition has an exemplar with the exported trace") {
    const Reply metrics =
        get(server.port, "/metrics", {{"Accept", "application/openmetrics-text"}});
    REQUIRE(metrics.status == 200);
    CHECK_THAT(metrics.content_type, Catch::StartsWith("application/openmetrics-text"));
    const std::regex bucket(
        R"re(http_server_request_duration_seconds_bucket\{http_request_method="POST",http_route="/api/specs/\{id\}/execute",http_response_status_code="200",le="[^"]+"\} 1 # \{trace_id="([0-9a-f]{32})",span_id="([0-9a-f]{16})"\})re");
    std::smatch match;
    INFO(metrics.body);
    REQUIRE(std::regex_search(metrics.body, match, bucket));
    CHECK(match[1] == trace_id);
    CHECK(match[2] == request.span_id);
    CHECK_THAT(metrics.body, Catch::Contains("tachi_trace_exporter_spans_exported"));
    CHECK_THAT(metrics.body, Catch::EndsWith("# EOF\n"));
  }
  SECTION("the Prometheus text has the histogram without exemplars") {
    const Reply metrics = get(server.port, "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK_THAT(metrics.content_type, Catch::StartsWith("text/plain; version=0.0.4"));
    CHECK_THAT(metrics.body, Catch::Contains("# TYPE http_server_request_duration_seconds "
                                             "histogram"));
    CHECK_THAT(metrics.body, !Catch::Contains("trace_id="));
  }
  CHECK(server.terminate().code == 0);
}

TEST_CASE(
    "the sample server calls an https backend it verifies with TACHI_BACKEND_CA_FILE, "
    "over a kept-alive connection") {
  using namespace tachi_trace::testing;
  const TestCertificates certificates = make_test_certificates();
  const TemporaryFile ca("backend-ca.pem", certificates.ca_pem);
  HttpReceiver backend(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}});
  backend.set_default_response({.body = R"({"text": "The printer is fine.", "model": "tiny-1"})",
                                .content_type = "application/json"});
  HttpReceiver receiver;
  auto variables = otlp_to(receiver);
  variables.emplace_back("TACHI_BACKEND_URL", backend.url("/v1/generate"));
  variables.emplace_back("TACHI_BACKEND_CA_FILE", ca.path());
  SampleServer server("sample-server-https-backend.log", variables);

  const Reply reply = post(server.port, "/api/specs/1/execute", R"({"input": "printer"})");

  INFO(reply.body);
  REQUIRE(reply.status == 200);
  const json answer = reply.body_json();
  CHECK(answer["output"] == "The printer is fine.");
  const auto spans = wait_for_trace(receiver, answer["trace_id"], 6);
  INFO(names_of(spans));
  const auto& client = only_span_named(spans, "POST");
  CHECK(client.attributes.at("url.full") == backend.url("/v1/generate"));
  CHECK(client.attributes.at("http.response.status_code") == "200");
  // The backend got the CLIENT span's context through the TLS connection.
  auto requests = backend.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK_THAT(requests[0].header("traceparent"),
             Catch::Contains("-" + client.trace_id + "-" + client.span_id + "-"));

  // Backend calls keep their connection: a second execution reuses it, with no new handshake.
  REQUIRE(post(server.port, "/api/specs/2/execute", R"({"input": "again"})").status == 200);
  REQUIRE(backend.wait_for_requests(2, 5s));
  CHECK(backend.connections_accepted() == 1);
  CHECK(backend.requests()[1].connection == 1);
  CHECK(server.terminate().code == 0);
}

TEST_CASE("the sample server exports and calls its backend through HTTP_PROXY, its mock directly") {
  using namespace tachi_trace::testing;
  ForwardProxy proxy;
  HttpReceiver receiver;
  auto variables = otlp_to(receiver);
  variables.emplace_back("HTTP_PROXY", proxy.url());
  std::optional<HttpReceiver> backend;
  SECTION("a backend of TACHI_BACKEND_URL: through the proxy") {
    backend.emplace();
    backend->set_default_response(
        {.body = R"({"text": "Proxied.", "model": "tiny-1"})", .content_type = "application/json"});
    variables.emplace_back("TACHI_BACKEND_URL", backend->url("/v1/generate"));
  }
  SECTION("the mock backend, in the process itself: never through a proxy") {}
  SampleServer server("sample-server-proxy.log", variables);

  const Reply reply = post(server.port, "/api/specs/1/execute", R"({"input": "printer"})");

  INFO(reply.body);
  REQUIRE(reply.status == 200);
  wait_for_trace(receiver, reply.body_json()["trace_id"], 6);
  std::set<std::string> targets;
  for (const auto& request : proxy.requests())
    targets.insert(request.method + " " + request.target);
  INFO(Catch::Detail::stringify(std::vector<std::string>(targets.begin(), targets.end())));
  CHECK(targets.count("POST " + receiver.url("/v1/traces")) == 1);
  if (backend) {
    CHECK(targets.size() == 2);
    CHECK(targets.count("POST " + backend->url("/v1/generate")) == 1);
    CHECK(backend->request_count() == 1);
  } else {
    CHECK(targets.size() == 1);
  }
  CHECK(server.terminate().code == 0);
}

TEST_CASE("the sample server's routes answer JSON (errors included)") {
  HttpReceiver receiver;  // plays the W3C test harness for POST /test
  SampleServer server("sample-server-routes.log", {{"TACHI_MOCK_LATENCY", "0"}});
  CHECK(get(server.port, "/healthz").body == "{\"status\":\"ok\"}\n");
  const json specs = get(server.port, "/api/specs").body_json();
  REQUIRE(specs["specs"].size() >= 3);
  CHECK(specs["specs"][0]["id"] == 1);
  CHECK(get(server.port, "/api/specs/2").body_json()["id"] == 2);

  const Reply unknown = get(server.port, "/api/specs/999");
  CHECK(unknown.status == 404);
  CHECK(unknown.content_type == "application/json");
  CHECK(unknown.body_json()["error"] == "there is no spec 999 (GET /api/specs lists them)");
  const Reply malformed = get(server.port, "/api/specs/01x");
  CHECK(malformed.status == 400);
  CHECK(malformed.body_json()["error"] == "\"01x\" is not a spec id: ids are positive integers");
  CHECK(get(server.port, "/nowhere").status == 404);
  const Reply wrong_method = send_request(server.port, http::verb::delete_, "/api/specs/1");
  CHECK(wrong_method.status == 405);

  SECTION("POST /test posts each element's arguments with the context") {
    const std::string trace_id = random_hex(16);
    const json calls = json::array({{{"url", receiver.url("/one")}, {"arguments", {1, 2}}},
                                    {{"url", receiver.url("/two")}, {"arguments", {"x"}}}});
    const Reply reply = post(server.port, "/test", calls.dump(),
                             {{"traceparent", "00-" + trace_id + "-" + random_hex(8) + "-01"}});
    REQUIRE(reply.status == 200);
    const auto requests = receiver.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].target == "/one");
    CHECK(requests[0].body == "[1,2]");
    CHECK(requests[1].body == "[\"x\"]");
    for (const auto& request : requests)
      CHECK_THAT(request.header("traceparent"), Catch::StartsWith("00-" + trace_id + "-"));
  }
  SECTION("POST /test refuses bad JSON and URLs other than http://") {
    const Reply not_json = post(server.port, "/test", "[{");
    CHECK(not_json.status == 400);
    CHECK(not_json.body_json()["error"] == "the body is not valid JSON");
    const Reply https = post(server.port, "/test", R"([{"url": "https://127.0.0.1/"}])");
    CHECK(https.status == 400);
    CHECK(https.body_json()["error"] ==
          "element 0: only http:// URLs are called, but got \"https://127.0.0.1/\"");
    CHECK(receiver.request_count() == 0);
  }
  CHECK(server.terminate().code == 0);
}

TEST_CASE("the sample server lists its variables and warns about bad values") {
  TemporaryFolder folder;
  const auto log = artifact("sample-server-help.log");
  auto [ended, help] =
      tachi_trace::testing::run_to_completion(TACHI_SAMPLE_SERVER, {"--help"}, {}, log, 30s);
  CHECK(ended.exited);
  CHECK(ended.code == 0);
  for (const char* variable :
       {"TACHI_LISTEN", "TACHI_DB", "TACHI_BACKEND_URL", "TACHI_VIEWER", "TACHI_VIEWER_TRACES",
        "TACHI_VIEWER_REMOTE", "TACHI_SHUTDOWN_GRACE", "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_PROPAGATORS",
        "OTEL_SERVICE_NAME", "OTEL_METRICS_EXEMPLAR_FILTER"})
    CHECK_THAT(help, Catch::Contains(std::string("  ") + variable + " ("));

  SECTION("bad values are warnings, and the server still serves") {
    SampleServer server("sample-server-warnings.log", {{"TACHI_IO_THREADS", "lots"},
                                                       {"TACHI_VIEWER", "maybe"},
                                                       {"OTEL_BSP_SCHEDULE_DELAY", "soon"},
                                                       {"OTEL_TRACES_SAMPLER", "sometimes"}});
    CHECK(get(server.port, "/healthz").status == 200);
    CHECK(get(server.port, "/debug/traces.json").status == 200);  // the viewer stays on
    CHECK(server.terminate().code == 0);
    const std::string errors = server.process->error_log();
    CHECK_THAT(errors, Catch::Contains("warning: TACHI_IO_THREADS must be an integer from 1 to "
                                       "256, but got \"lots\""));
    CHECK_THAT(errors, Catch::Contains("warning: TACHI_VIEWER must be"));
    CHECK_THAT(errors, Catch::Contains("warning: OTEL_BSP_SCHEDULE_DELAY"));
    CHECK_THAT(errors, Catch::Contains("warning: OTEL_TRACES_SAMPLER"));
  }
  SECTION("with OTEL_TRACES_EXPORTER unset there is no warning and the viewer has the trace") {
    SampleServer server("sample-server-quiet.log", {{"OTEL_BSP_SCHEDULE_DELAY", "20"}});
    const Reply reply = get(server.port, "/api/specs/1");
    REQUIRE(reply.status == 200);
    bool seen = false;
    for (int attempt = 0; attempt < 500 && !seen; ++attempt) {
      seen = get(server.port, "/debug/traces.json").body_json()["traces_held"] >= 1;
      if (!seen) std::this_thread::sleep_for(20ms);
    }
    CHECK(seen);
    CHECK(server.terminate(SIGINT).code == 0);
    CHECK_THAT(server.process->error_log(), !Catch::Contains("warning"));
  }
  SECTION("service.name from OTEL_RESOURCE_ATTRIBUTES replaces the sample's own name") {
    HttpReceiver receiver;
    auto variables = otlp_to(receiver);
    variables.emplace_back("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=demo, service.name=shop");
    SampleServer server("sample-server-service-name.log", variables);
    const std::string trace_id = random_hex(16);
    REQUIRE(get(server.port, "/healthz",
                {{"traceparent", "00-" + trace_id + "-" + random_hex(8) + "-01"}})
                .status == 200);
    const auto spans = wait_for_trace(receiver, trace_id, 1);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].service == "shop");
    CHECK(server.terminate().code == 0);
  }
  SECTION("OTEL_METRICS_EXEMPLAR_FILTER decides which requests become exemplars") {
    const auto openmetrics = [](const SampleServer& server) {
      const Reply metrics =
          get(server.port, "/metrics", {{"Accept", "application/openmetrics-text"}});
      REQUIRE(metrics.status == 200);
      return metrics.body;
    };
    const std::regex specs_bucket_exemplar(
        R"re(http_route="/api/specs/\{id\}",http_response_status_code="200",le="[^"]+"\} 1 # \{trace_id="([0-9a-f]{32})")re");
    {
      // always_on: a request whose span is not sampled still becomes an exemplar.
      SampleServer server(
          "sample-server-exemplars-on.log",
          {{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}, {"OTEL_TRACES_SAMPLER", "always_off"}});
      const std::string trace_id = random_hex(16);
      REQUIRE(get(server.port, "/api/specs/1",
                  {{"traceparent", "00-" + trace_id + "-" + random_hex(8) + "-00"}})
                  .status == 200);
      const std::string body = openmetrics(server);
      INFO(body);
      std::smatch match;
      REQUIRE(std::regex_search(body, match, specs_bucket_exemplar));
      CHECK(match[1] == trace_id);
      CHECK(server.terminate().code == 0);
    }
    {
      SampleServer server("sample-server-exemplars-off.log",
                          {{"OTEL_METRICS_EXEMPLAR_FILTER", "always_off"}});
      REQUIRE(get(server.port, "/api/specs/1").status == 200);
      const std::string body = openmetrics(server);
      INFO(body);
      CHECK_THAT(body, Catch::Contains("http_route=\"/api/specs/{id}\""));
      CHECK_THAT(body, !Catch::Contains(" # {"));
      CHECK(server.terminate().code == 0);
      CHECK_THAT(server.process->error_log(), !Catch::Contains("warning"));
    }
  }
  SECTION("OTEL_LOG_LEVEL quiets the library's warnings and export errors, not the sample's") {
    for (const std::string level : {"info", "none"}) {
      HttpReceiver receiver;  // refuses every export: a final 400, reported at once
      receiver.set_default_response({.status = 400, .body = "", .content_type = "text/plain"});
      auto variables = otlp_to(receiver);
      variables.emplace_back("OTEL_LOG_LEVEL", level);
      variables.emplace_back("OTEL_TRACES_SAMPLER", "sometimes");
      variables.emplace_back("TACHI_VIEWER", "maybe");
      SampleServer server("sample-server-log-level-" + level + ".log", variables);
      REQUIRE(get(server.port, "/healthz").status == 200);
      REQUIRE(receiver.wait_for_requests(1, 10s));
      CHECK(server.terminate().code == 0);
      const std::string errors = server.process->error_log();
      INFO(errors);
      CHECK_THAT(errors, Catch::Contains("warning: TACHI_VIEWER must be"));
      if (level == "info") {
        CHECK_THAT(errors, Catch::Contains("warning: OTEL_TRACES_SAMPLER"));
        CHECK_THAT(errors, Catch::Contains("tachi_trace: otlp exporter: dropped "));
      } else {
        CHECK_THAT(errors, !Catch::Contains("OTEL_TRACES_SAMPLER"));
        CHECK_THAT(errors, !Catch::Contains("tachi_trace:"));
      }
    }
  }
  SECTION("TACHI_VIEWER=off takes the viewer's routes away") {
    SampleServer server("sample-server-no-viewer.log", {{"TACHI_VIEWER", "off"}});
    CHECK(get(server.port, "/debug/traces").status == 404);
    CHECK(server.terminate().code == 0);
  }
}

TEST_CASE("SIGTERM under load: exit 0 and every answered request has its spans exported") {
  HttpReceiver receiver;
  // A long schedule delay: most spans are still queued when SIGTERM comes.
  SampleServer server("sample-server-sigterm.log", otlp_to(receiver, "2000", "20"));

  struct Answered {
    std::string trace_id;
    bool execution = false;
  };
  std::mutex mutex;
  std::vector<Answered> answered;
  std::atomic<bool> signalled{false};
  auto client = [&](int number) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int index = 0; std::chrono::steady_clock::now() < deadline; ++index) {
      const std::string trace_id = random_hex(16);
      const bool execution = (index + number) % 2 == 0;
      const std::vector<std::pair<std::string, std::string>> headers = {
          {"traceparent", "00-" + trace_id + "-" + random_hex(8) + "-01"}};
      const Reply reply = execution ? post(server.port, "/api/specs/2/execute", "", headers)
                                    : get(server.port, "/api/specs/1", headers);
      if (reply.status == 0 && signalled) return;  // the server stopped accepting
      if (reply.status != 200) continue;
      std::lock_guard lock(mutex);
      answered.push_back({trace_id, execution});
    }
  };
  std::vector<std::thread> clients;
  for (int number = 0; number < 4; ++number)
    clients.emplace_back(client, number);
  for (int wait = 0; wait < 500; ++wait) {
    {
      std::lock_guard lock(mutex);
      if (answered.size() >= 40) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  signalled = true;
  server.process->send_signal(SIGTERM);
  const auto ended = server.process->wait_for_exit(20s);
  for (auto& thread : clients)
    thread.join();
  INFO(server.process->error_log());
  REQUIRE(ended);
  CHECK(ended->exited);
  CHECK(ended->code == 0);

  const auto spans = exported_spans(receiver);
  std::map<std::string, std::size_t> spans_per_trace;
  for (const auto& span : spans)
    ++spans_per_trace[span.trace_id];
  REQUIRE(answered.size() >= 40);
  std::size_t complete = 0;
  for (const auto& request : answered) {
    INFO("trace " << request.trace_id << (request.execution ? " (execution)" : " (lookup)"));
    CHECK(spans_per_trace[request.trace_id] == (request.execution ? 7u : 2u));
    complete += spans_per_trace[request.trace_id] == (request.execution ? 7u : 2u);
  }
  CHECK(complete == answered.size());
}
