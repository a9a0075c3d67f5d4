// The server middleware over real Beast servers on 127.0.0.1: span names, parents, attributes,
// statuses, exceptions, server-timing, and what the handler can do with its span.
#include <boost/asio/detached.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "support/beast_support.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

const std::string caller_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string caller_span_id = "00f067aa0ba902b7";
const std::string caller_traceparent = "00-" + caller_trace_id + "-" + caller_span_id + "-01";

StringResponse text_response(http::status status, unsigned version, std::string body) {
  StringResponse response(status, version);
  response.set(http::field::content_type, "text/plain");
  response.body() = std::move(body);
  return response;
}

/// Answers every request with 200 and the body "spec 7", reporting the route.
auto spec_handler() {
  return [](StringRequest request, HttpServerSpan& span) -> net::awaitable<StringResponse> {
    span.set_route("/api/specs/{id}");
    co_return text_response(http::status::ok, request.version(), "spec 7");
  };
}

/// Answers with the status the target names: /status/404 gives 404.
auto status_handler() {
  return [](StringRequest request) -> net::awaitable<StringResponse> {
    const std::string target(request.target());
    const int code = std::stoi(target.substr(target.rfind('/') + 1));
    co_return text_response(static_cast<http::status>(code), request.version(), "status");
  };
}

net::awaitable<int> load_spec_slowly() {
  co_await sleep_for(std::chrono::milliseconds(5));
  co_return 7;
}

SpanData server_span_after(MemoryProvider& memory, std::size_t count = 1) {
  return only_span_of_kind(wait_for_spans(memory, count), SpanKind::server);
}

}  // namespace

TEST_CASE("a request carrying a traceparent yields a SERVER span that is the caller's child") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));

  auto request = get_request("/api/specs/7?verbose=1", "shop.example:8443");
  request.method(http::verb::post);
  request.body() = "hello";
  request.set("traceparent", caller_traceparent);
  request.set(http::field::user_agent, "tachi-test/1.0");
  std::uint16_t client_port = 0;
  auto response = send_request(server.local_endpoint(), request, &client_port);
  REQUIRE(response.result() == http::status::ok);
  CHECK(response.body() == "spec 7");

  const SpanData span = server_span_after(memory);
  CHECK(span.name == "POST /api/specs/{id}");
  CHECK(span.context.trace_id.to_hex() == caller_trace_id);
  CHECK(span.parent_span_id.to_hex() == caller_span_id);
  CHECK(span.parent_is_remote);
  CHECK(span.context.is_sampled());
  CHECK(span.status.code == StatusCode::unset);
  CHECK(string_attribute(span, "http.request.method") == "POST");
  CHECK_FALSE(has_attribute(span, "http.request.method_original"));
  CHECK(string_attribute(span, "url.path") == "/api/specs/7");
  CHECK(string_attribute(span, "url.query") == "verbose=1");
  CHECK(string_attribute(span, "url.scheme") == "http");
  CHECK(string_attribute(span, "http.route") == "/api/specs/{id}");
  CHECK(string_attribute(span, "server.address") == "shop.example");
  CHECK(int_attribute(span, "server.port") == 8443);
  CHECK(string_attribute(span, "client.address") == "127.0.0.1");
  CHECK(string_attribute(span, "network.peer.address") == "127.0.0.1");
  CHECK(int_attribute(span, "network.peer.port") == client_port);
  CHECK(string_attribute(span, "user_agent.original") == "tachi-test/1.0");
  CHECK(string_attribute(span, "network.protocol.version") == "1.1");
  CHECK(int_attribute(span, "http.response.status_code") == 200);
  CHECK(int_attribute(span, "http.request.body.size") == 5);
  CHECK(int_attribute(span, "http.response.body.size") == 6);
  CHECK_FALSE(has_attribute(span, "error.type"));
}

TEST_CASE("without a route the span is named after the method; the Host port defaults") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server = listen_on_loopback(background.io,
                                   traced_http_handler(status_handler(), tracing_into(memory)));
  auto response = send_request(server.local_endpoint(), get_request("/status/200", "shop.example"));
  REQUIRE(response.result() == http::status::ok);
  const SpanData span = server_span_after(memory);
  CHECK(span.name == "GET");
  CHECK_FALSE(has_attribute(span, "http.route"));
  CHECK_FALSE(has_attribute(span, "url.query"));
  CHECK(string_attribute(span, "server.address") == "shop.example");
  CHECK(int_attribute(span, "server.port") == 80);
}

TEST_CASE("a route names the span '{method} {route}', whatever the route's length") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  // Routes on both sides of the name buffer's 256 bytes; the handler reports the one it set.
  auto handler = [](StringRequest request, HttpServerSpan& span) -> net::awaitable<StringResponse> {
    const std::string target(request.target());
    const std::string route = "/r/" + std::string(std::stoul(target.substr(1)), 'x');
    span.set_route(route);
    co_return text_response(http::status::ok, request.version(), route);
  };
  auto server =
      listen_on_loopback(background.io, traced_http_handler(handler, tracing_into(memory)));
  // "GET " and "/r/" take 7 bytes: 249 x's make a 256-byte name, 250 one byte more.
  const std::vector<std::size_t> lengths = {1, 200, 249, 250, 400};
  for (std::size_t length : lengths) {
    auto response =
        send_request(server.local_endpoint(), get_request("/" + std::to_string(length)));
    REQUIRE(response.result() == http::status::ok);
  }
  std::set<std::size_t> seen;
  for (const auto& stored : wait_for_spans(memory, lengths.size())) {
    const std::string route = string_attribute(stored.data, "http.route");
    CHECK(stored.data.name == "GET " + route);
    seen.insert(route.size() - 3);
  }
  CHECK(seen == std::set<std::size_t>(lengths.begin(), lengths.end()));
}

TEST_CASE("a request without a valid traceparent starts a new trace") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));
  auto request = get_request("/api/specs/7");

  SECTION("no traceparent") {}
  SECTION("uppercase hex") {
    request.set("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01");
  }
  SECTION("all-zero trace id") {
    request.set("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  }
  SECTION("two traceparent headers") {
    request.insert("traceparent", caller_traceparent);
    request.insert("traceparent", "00-11111111111111111111111111111111-2222222222222222-01");
  }
  SECTION("trailing data after a version 00 header") {
    request.set("traceparent", caller_traceparent + "-extra");
  }
  auto response = send_request(server.local_endpoint(), request);
  REQUIRE(response.result() == http::status::ok);
  const SpanData span = server_span_after(memory);
  CHECK_FALSE(span.has_parent());
  CHECK(span.context.trace_id.is_valid());
  CHECK(span.context.trace_id.to_hex() != caller_trace_id);
  CHECK(span.context.trace_id.to_hex() != "11111111111111111111111111111111");
  CHECK(span.context.is_sampled());
}

TEST_CASE("tracestate and baggage reach the handler and travel on from it") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  // The handler answers with what it would send downstream, and the baggage it sees.
  auto handler = [](StringRequest request) -> net::awaitable<StringResponse> {
    http::fields outgoing;
    inject_current_context(outgoing);
    std::string body;
    for (const auto& field : outgoing)
      body += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
    body += "tenant seen: " + std::string(current_baggage().get("tenant").value_or("none")) + "\n";
    co_return text_response(http::status::ok, request.version(), body);
  };
  auto server =
      listen_on_loopback(background.io, traced_http_handler(handler, tracing_into(memory)));
  auto request = get_request("/relay");
  request.set("traceparent", caller_traceparent);
  request.set("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  request.set("baggage", "tenant=acme,region=eu-west");
  auto response = send_request(server.local_endpoint(), request);
  REQUIRE(response.result() == http::status::ok);

  const SpanData span = server_span_after(memory);
  const std::string server_span_id = span.context.span_id.to_hex();
  CHECK(span.context.trace_state.to_header() == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  const std::string& body = response.body();
  CHECK_THAT(
      body, Catch::Contains("traceparent: 00-" + caller_trace_id + "-" + server_span_id + "-01\n"));
  CHECK_THAT(body, Catch::Contains("tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\n"));
  CHECK_THAT(body, Catch::Contains("baggage: tenant=acme,region=eu-west\n"));
  CHECK_THAT(body, Catch::Contains("tenant seen: acme\n"));
}

TEST_CASE("the handler reads the trace id, annotates its span and nests its awaitables under it") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  const Tracer tracer = memory.tracer;
  auto handler = [tracer](StringRequest request,
                          HttpServerSpan& span) -> net::awaitable<StringResponse> {
    span.set_route("/api/specs/{id}");
    const std::string before = current_trace_id().to_hex() + "/" + current_span_id().to_hex();
    QueryOptions query;
    query.system = "sqlite";
    query.tracer = &tracer;
    const int spec = co_await traced_query("select", "specs", load_spec_slowly(), query);
    span_attribute("spec.id", spec);
    span.span().add_event("spec loaded");
    const std::string after = current_trace_id().to_hex() + "/" + current_span_id().to_hex();
    co_return text_response(http::status::ok, request.version(),
                            before + " " + after + " " + span.trace_id().to_hex());
  };
  auto server =
      listen_on_loopback(background.io, traced_http_handler(handler, tracing_into(memory)));
  auto request = get_request("/api/specs/7");
  request.set("traceparent", caller_traceparent);
  auto response = send_request(server.local_endpoint(), request);
  REQUIRE(response.result() == http::status::ok);

  auto spans = wait_for_spans(memory, 2);
  const SpanData& server_span = only_span_of_kind(spans, SpanKind::server);
  const SpanData& query = only_span_named(spans, "db.select");
  const std::string ids = caller_trace_id + "/" + server_span.context.span_id.to_hex();
  CHECK(response.body() == ids + " " + ids + " " + caller_trace_id);
  CHECK(query.parent_span_id == server_span.context.span_id);
  CHECK(query.context.trace_id == server_span.context.trace_id);
  CHECK(int_attribute(server_span, "spec.id") == 7);
  REQUIRE(server_span.events.size() == 1);
  CHECK(server_span.events[0].name == "spec loaded");
}

TEST_CASE("a handler exception becomes a 500 response and an Error span, never a crash") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto handler = [](StringRequest request) -> net::awaitable<StringResponse> {
    if (request.target() == "/fail") throw std::runtime_error("database password is hunter2");
    co_return text_response(http::status::ok, request.version(), "fine");
  };
  auto options = tracing_into(memory);
  bool exposed = false;
  SECTION("the message stays on the server by default") {}
  SECTION("the message is sent when asked for") {
    options.expose_exception_messages = true;
    exposed = true;
  }
  auto server = listen_on_loopback(background.io, traced_http_handler(handler, options));
  std::vector<StringRequest> requests;
  requests.push_back(get_request("/fail"));
  requests.push_back(get_request("/after"));
  auto exchanged = send_requests(server.local_endpoint(), std::move(requests));
  const StringResponse& failed = exchanged.responses.at(0);
  CHECK(failed.result() == http::status::internal_server_error);
  const bool message_sent = failed.body().find("hunter2") != std::string::npos;
  CHECK(message_sent == exposed);
  CHECK_THAT(failed.body(), Catch::StartsWith("Internal Server Error\n"));
  // The connection survives: the next request on it is served.
  CHECK(exchanged.responses.at(1).result() == http::status::ok);

  auto spans = wait_for_spans(memory, 2);
  const SpanData* span = nullptr;
  for (const auto& stored : spans)
    if (string_attribute(stored.data, "url.path") == "/fail") span = &stored.data;
  REQUIRE(span != nullptr);
  CHECK(span->status.code == StatusCode::error);
  CHECK(span->status.description == "database password is hunter2");
  CHECK(string_attribute(*span, "error.type") == "std::runtime_error");
  CHECK(int_attribute(*span, "http.response.status_code") == 500);
  REQUIRE(span->events.size() == 1);
  CHECK(span->events[0].name == "exception");
}

TEST_CASE("4xx leaves a SERVER span Unset by default, 5xx marks it Error") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto options = tracing_into(memory);
  bool client_errors_are_errors = false;
  SECTION("default") {}
  SECTION("configured in code") {
    options.client_errors_are_errors = true;
    client_errors_are_errors = true;
  }
  SECTION("configured by TACHI_HTTP_SERVER_4XX_IS_ERROR") {
    auto config =
        finalize_config({}, Environment::from_pairs({{"TACHI_HTTP_SERVER_4XX_IS_ERROR", "true"}}));
    REQUIRE(config);
    options = http_server_tracing_options(*config);
    options.tracer = memory.tracer;
    client_errors_are_errors = true;
  }
  auto server = listen_on_loopback(background.io, traced_http_handler(status_handler(), options));
  std::vector<StringRequest> requests;
  requests.push_back(get_request("/status/404"));
  requests.push_back(get_request("/status/503"));
  requests.push_back(get_request("/status/302"));
  auto exchanged = send_requests(server.local_endpoint(), std::move(requests));
  CHECK(exchanged.responses.at(0).result() == http::status::not_found);
  CHECK(exchanged.responses.at(1).result() == http::status::service_unavailable);

  auto spans = wait_for_spans(memory, 3);
  REQUIRE(spans.size() == 3);
  for (const auto& stored : spans) {
    const SpanData& span = stored.data;
    const auto code = int_attribute(span, "http.response.status_code");
    INFO("status " << code);
    if (code == 503 || (code == 404 && client_errors_are_errors)) {
      CHECK(span.status.code == StatusCode::error);
      CHECK(span.status.description.empty());  // the status code says why
      CHECK(string_attribute(span, "error.type") == std::to_string(code));
    } else {
      CHECK(span.status.code == StatusCode::unset);
      CHECK_FALSE(has_attribute(span, "error.type"));
    }
  }
}

TEST_CASE("TACHI_HTTP_SERVER_4XX_IS_ERROR is false unless set to true") {
  auto defaults = finalize_config({}, Environment::from_pairs({}));
  REQUIRE(defaults);
  CHECK_FALSE(defaults->http_server_4xx_is_error());
  CHECK_FALSE(http_server_tracing_options(*defaults).client_errors_are_errors);
  auto wrong =
      finalize_config({}, Environment::from_pairs({{"TACHI_HTTP_SERVER_4XX_IS_ERROR", "yes"}}));
  REQUIRE(wrong);
  CHECK_FALSE(wrong->http_server_4xx_is_error());
  REQUIRE(wrong->diagnostics().size() == 1);
  CHECK(wrong->diagnostics()[0].message ==
        "TACHI_HTTP_SERVER_4XX_IS_ERROR must be true or false, but got \"yes\"; using false");
  TracingConfig in_code;
  in_code.http_server_4xx_is_error = true;
  auto from_code = finalize_config(in_code, Environment::from_pairs({}));
  REQUIRE(from_code);
  CHECK(http_server_tracing_options(*from_code).client_errors_are_errors);
}

TEST_CASE("the server-timing header carries the server span's context when switched on") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto options = tracing_into(memory);
  SECTION("off by default") {
    auto server = listen_on_loopback(background.io, traced_http_handler(spec_handler(), options));
    auto response = send_request(server.local_endpoint(), get_request("/api/specs/7"));
    CHECK(response.find("server-timing") == response.end());
  }
  SECTION("on through TACHI_HTTP_SERVER_TIMING") {
    auto config =
        finalize_config({}, Environment::from_pairs({{"TACHI_HTTP_SERVER_TIMING", "true"}}));
    REQUIRE(config);
    options = http_server_tracing_options(*config);
    options.tracer = memory.tracer;
    auto server = listen_on_loopback(background.io, traced_http_handler(spec_handler(), options));
    auto request = get_request("/api/specs/7");
    request.set("traceparent", caller_traceparent);
    auto response = send_request(server.local_endpoint(), request);
    const SpanData span = server_span_after(memory);
    CHECK(response["server-timing"] ==
          "trace;desc=00-" + caller_trace_id + "-" + span.context.span_id.to_hex() + "-01");
  }
}

TEST_CASE("methods outside the known set are _OTHER, with the original kept") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));
  auto request = get_request("/api/specs/7");
  std::string original;
  SECTION("a method Beast knows but the conventions do not") {
    original = "PURGE";
  }
  SECTION("a known method in the wrong case") {
    original = "get";
  }
  SECTION("an invented method") {
    original = "FROBNICATE";
  }
  request.method_string(original);
  auto response = send_request(server.local_endpoint(), request);
  REQUIRE(response.result() == http::status::ok);
  const SpanData span = server_span_after(memory);
  CHECK(span.name == "HTTP /api/specs/{id}");
  CHECK(string_attribute(span, "http.request.method") == "_OTHER");
  CHECK(string_attribute(span, "http.request.method_original") == original);
}

TEST_CASE("keep-alive connections make one span per request; HTTP/1.0 closes") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));

  SECTION("two requests on one HTTP/1.1 connection") {
    std::vector<StringRequest> requests;
    requests.push_back(get_request("/api/specs/1"));
    requests.push_back(get_request("/api/specs/2"));
    auto exchanged = send_requests(server.local_endpoint(), std::move(requests));
    CHECK(exchanged.responses.at(0).keep_alive());
    CHECK(exchanged.responses.at(1).result() == http::status::ok);
    auto spans = wait_for_spans(memory, 2);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].data.context.span_id != spans[1].data.context.span_id);
    CHECK(spans[0].data.context.trace_id != spans[1].data.context.trace_id);
    CHECK(int_attribute(spans[0].data, "network.peer.port") == exchanged.local_port);
    CHECK(int_attribute(spans[1].data, "network.peer.port") == exchanged.local_port);
  }
  SECTION("an HTTP/1.0 request") {
    auto reply = send_raw(server.local_endpoint(), "GET /api/specs/1 HTTP/1.0\r\n\r\n");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
    CHECK(reply.closed);
    const SpanData span = server_span_after(memory);
    CHECK(string_attribute(span, "network.protocol.version") == "1.0");
    CHECK_FALSE(has_attribute(span, "server.address"));  // HTTP/1.0 may send no Host
  }
  SECTION("pipelined requests are answered in order") {
    auto reply = send_raw(server.local_endpoint(),
                          "GET /api/specs/1 HTTP/1.1\r\nHost: a\r\n\r\n"
                          "GET /api/specs/2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    CHECK(reply.closed);
    const auto first = reply.bytes.find("HTTP/1.1 200 OK");
    const auto second = reply.bytes.find("HTTP/1.1 200 OK", first + 1);
    CHECK(first == 0);
    CHECK(second != std::string::npos);
    CHECK(wait_for_spans(memory, 2).size() == 2);
  }
}

TEST_CASE("HEAD is answered with the header only; Expect: 100-continue is honoured") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));
  SECTION("HEAD") {
    auto reply = send_raw(server.local_endpoint(),
                          "HEAD /api/specs/7 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK_THAT(reply.bytes, Catch::Contains("Content-Length: 6\r\n"));
    CHECK_THAT(reply.bytes, Catch::EndsWith("\r\n\r\n"));  // no body follows
    const SpanData span = server_span_after(memory);
    CHECK(string_attribute(span, "http.request.method") == "HEAD");
    CHECK_FALSE(has_attribute(span, "http.response.body.size"));
  }
  SECTION("Expect: 100-continue") {
    auto reply = send_raw(server.local_endpoint(),
                          "POST /api/specs/7 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                          "Expect: 100-continue\r\nConnection: close\r\n\r\nbody");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 100 Continue\r\n"));
    CHECK_THAT(reply.bytes, Catch::Contains("HTTP/1.1 200 OK\r\n"));
    CHECK(int_attribute(server_span_after(memory), "http.request.body.size") == 4);
  }
}

TEST_CASE("client.address, url.scheme and server.address come from forwarding headers") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto options = tracing_into(memory);
  auto request = get_request("/api/specs/7", "internal:8080");
  std::string client = "127.0.0.1";
  std::string scheme = "http";
  std::string host = "internal";
  std::int64_t port = 8080;
  SECTION("Forwarded") {
    request.set(http::field::forwarded,
                "for=\"[2001:db8:cafe::17]:4711\";proto=https;host=shop.example, for=10.0.0.1");
    client = "2001:db8:cafe::17";
    scheme = "https";
    host = "shop.example";
    port = 443;
  }
  SECTION("X-Forwarded-*") {
    request.set("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
    request.set("X-Forwarded-Proto", "https");
    request.set("X-Forwarded-Host", "shop.example:9443");
    client = "203.0.113.7";
    scheme = "https";
    host = "shop.example";
    port = 9443;
  }
  SECTION("ignored when switched off") {
    options.use_forwarded_headers = false;
    request.set("X-Forwarded-For", "203.0.113.7");
    request.set("X-Forwarded-Proto", "https");
  }
  auto server = listen_on_loopback(background.io, traced_http_handler(spec_handler(), options));
  send_request(server.local_endpoint(), request);
  const SpanData span = server_span_after(memory);
  CHECK(string_attribute(span, "client.address") == client);
  CHECK(string_attribute(span, "network.peer.address") == "127.0.0.1");
  CHECK(string_attribute(span, "url.scheme") == scheme);
  CHECK(string_attribute(span, "server.address") == host);
  CHECK(int_attribute(span, "server.port") == port);
}

TEST_CASE("sensitive query values are redacted in url.query, keys kept") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));
  send_request(server.local_endpoint(),
               get_request("/download?file=a.txt&sig=c2VjcmV0&X-Goog-Signature=abc&flag"));
  CHECK(string_attribute(server_span_after(memory), "url.query") ==
        "file=a.txt&sig=REDACTED&X-Goog-Signature=REDACTED&flag");
}

namespace {

/// Drops requests for /healthz by the url.path it is given at span creation; keeps the rest.
class HealthCheckDropper final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters& parameters) const noexcept override {
    for (const auto& attribute : parameters.attributes) {
      if (attribute.key == "url.path" && attribute.value == AttributeValue("/healthz"))
        return {SamplingDecision::drop, {}, {}};
    }
    return {SamplingDecision::record_and_sample,
            {{"sampler.saw", static_cast<std::int64_t>(parameters.attributes.size())}},
            {}};
  }
  std::string description() const override { return "HealthCheckDropper"; }
};

}  // namespace

TEST_CASE("a sampler that reads attributes gets the request's at span creation") {
  MemoryProvider memory(roomy_settings(std::make_shared<HealthCheckDropper>()));
  REQUIRE(memory.tracer.sampler_reads_attributes());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(spec_handler(), tracing_into(memory)));
  auto request = get_request("/api/specs/7?verbose=1", "shop.example:8443");
  request.set(http::field::user_agent, "tachi-test/1.0");
  send_request(server.local_endpoint(), get_request("/healthz"));
  send_request(server.local_endpoint(), request);

  // Only the second request was kept; its span has the same attributes as under a sampler that
  // does not read them, plus the sampler's own.
  const SpanData span = server_span_after(memory);
  CHECK(string_attribute(span, "url.path") == "/api/specs/7");
  // method, path, scheme, query, server address and port, client address, user agent
  CHECK(int_attribute(span, "sampler.saw") == 8);
  CHECK(string_attribute(span, "http.request.method") == "GET");
  CHECK(string_attribute(span, "url.query") == "verbose=1");
  CHECK(string_attribute(span, "url.scheme") == "http");
  CHECK(string_attribute(span, "server.address") == "shop.example");
  CHECK(int_attribute(span, "server.port") == 8443);
  CHECK(string_attribute(span, "client.address") == "127.0.0.1");
  CHECK(string_attribute(span, "user_agent.original") == "tachi-test/1.0");
  CHECK(memory.provider.counters().spans_sampled_out == 1);
}

TEST_CASE("the middleware used on its own runs the handler inside its span, in or out of a task") {
  MemoryProvider memory(roomy_settings());
  auto traced = traced_http_handler(
      [](StringRequest request) -> net::awaitable<StringResponse> {
        co_await sleep_for(std::chrono::milliseconds(2));
        co_return text_response(http::status::ok, request.version(), current_span_id().to_hex());
      },
      tracing_into(memory));
  auto call = [&]() -> net::awaitable<std::string> {
    auto outer = memory.tracer.start_span("outer");
    auto scope = outer.activate();
    auto handling = traced(get_request("/standalone"));
    auto response = co_await std::move(handling);
    // The caller's context is back once the handler has answered.
    const bool restored = current_span_id() == outer.context().span_id;
    co_return response.body() + (restored ? " restored" : " lost");
  };
  net::io_context io;
  std::string body;
  SECTION("inside a task") {
    body = run_task(io, call());
  }
  SECTION("in a plain Asio coroutine") {
    auto future = net::co_spawn(io, call(), net::use_future);
    io.run();
    body = future.get();
  }
  auto spans = wait_for_spans(memory, 2);
  const SpanData& server_span = only_span_of_kind(spans, SpanKind::server);
  CHECK(body == server_span.context.span_id.to_hex() + " restored");
  CHECK_FALSE(server_span.has_parent());  // the caller's process context is not the remote parent
}
