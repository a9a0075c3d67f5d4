// The traced HTTP client against real Beast servers on 127.0.0.1: CLIENT span attributes and
// parents, injection, errors as values, redaction, keep-alive, composition with
// traced_backend_call.
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/beast_support.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

namespace {

/// Answers with what it received: method, target, a few headers and the body, one per line.
/// /status/N answers with status N.
auto echo_handler() {
  return [](StringRequest request) -> net::awaitable<StringResponse> {
    const std::string target(request.target());
    auto status = http::status::ok;
    if (target.rfind("/status/", 0) == 0)
      status = static_cast<http::status>(std::stoi(target.substr(8)));
    StringResponse response(status, request.version());
    response.body() = std::string(request.method_string()) + " " + target + "\n" +
                      "authorization: " + std::string(request[http::field::authorization]) + "\n" +
                      "content-type: " + std::string(request[http::field::content_type]) + "\n" +
                      "traceparent: " + std::string(request["traceparent"]) + "\n" +
                      "body: " + request.body() + "\n";
    co_return response;
  };
}

struct EchoServer {
  explicit EchoServer(const MemoryProvider& memory, HttpServerOptions options = {})
      : server(listen_on_loopback(
            background.io, traced_http_handler(echo_handler(), tracing_into(memory)), options)) {}

  std::string url(std::string_view target) const { return url_of(server.local_endpoint(), target); }

  BackgroundIo background;
  HttpServer server;
};

/// Accepts one connection, reads a little of the request and closes it.
net::awaitable<void> accept_and_close(std::shared_ptr<tcp::acceptor> acceptor) {
  auto socket = co_await acceptor->async_accept(net::use_awaitable);
  char request[64];
  co_await socket.async_read_some(net::buffer(request), net::use_awaitable);
}

/// A port nothing listens on.
std::uint16_t closed_port() {
  net::io_context io;
  tcp::acceptor acceptor(io, loopback());
  return acceptor.local_endpoint().port();
}

}  // namespace

TEST_CASE("a traced GET makes a CLIENT span whose context the server continues") {
  MemoryProvider memory(roomy_settings());
  EchoServer echo(memory);
  const std::string url = echo.url("/api/specs/7?verbose=1");
  auto result = echo.background.run(traced_get(url, client_into(memory)));
  REQUIRE(result);
  CHECK(result->result() == http::status::ok);

  auto spans = wait_for_spans(memory, 2);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  const SpanData& server = only_span_of_kind(spans, SpanKind::server);
  CHECK(client.name == "GET");
  CHECK_FALSE(client.has_parent());
  CHECK(client.status.code == StatusCode::unset);
  CHECK(string_attribute(client, "http.request.method") == "GET");
  CHECK(string_attribute(client, "server.address") == "127.0.0.1");
  CHECK(int_attribute(client, "server.port") == echo.server.local_endpoint().port());
  CHECK(string_attribute(client, "url.full") == url);
  CHECK(string_attribute(client, "network.peer.address") == "127.0.0.1");
  CHECK(int_attribute(client, "network.peer.port") == echo.server.local_endpoint().port());
  CHECK(string_attribute(client, "network.protocol.version") == "1.1");
  CHECK(int_attribute(client, "http.response.status_code") == 200);
  CHECK(int_attribute(client, "http.response.body.size") ==
        static_cast<std::int64_t>(result->body().size()));
  CHECK_FALSE(has_attribute(client, "error.type"));

  CHECK(server.context.trace_id == client.context.trace_id);
  CHECK(server.parent_span_id == client.context.span_id);
  CHECK(server.parent_is_remote);
  CHECK_THAT(result->body(), Catch::Contains("traceparent: 00-" + client.context.trace_id.to_hex() +
                                             "-" + client.context.span_id.to_hex() + "-03\n"));
}

TEST_CASE("the CLIENT span is a child of the current span and of traced_backend_call") {
  MemoryProvider memory(roomy_settings());
  EchoServer echo(memory);
  const Tracer tracer = memory.tracer;
  const std::string url = echo.url("/api/specs/7");
  auto caller = [&]() -> net::awaitable<bool> {
    auto request_span = tracer.start_span("handle request");
    auto scope = request_span.activate();
    auto call = traced_get(url, client_into(memory));
    auto result = co_await traced_backend_call("specs", "get", std::move(call), tracer);
    co_return result && result->result() == http::status::ok;
  };
  CHECK(echo.background.run(caller()));

  auto spans = wait_for_spans(memory, 4);
  const SpanData& request = only_span_named(spans, "handle request");
  const SpanData& backend = only_span_named(spans, "backend.specs.get");
  const SpanData& client = only_span_named(spans, "GET", SpanKind::client);
  const SpanData& server = only_span_of_kind(spans, SpanKind::server);
  CHECK(backend.parent_span_id == request.context.span_id);
  CHECK(client.parent_span_id == backend.context.span_id);
  CHECK(server.parent_span_id == client.context.span_id);
  for (const auto* span : {&backend, &client, &server})
    CHECK(span->context.trace_id == request.context.trace_id);
}

TEST_CASE("4xx and 5xx answers mark the CLIENT span Error with the status code") {
  MemoryProvider memory(roomy_settings());
  EchoServer echo(memory);
  int code = 0;
  SECTION("404") {
    code = 404;
  }
  SECTION("500") {
    code = 500;
  }
  auto result = echo.background.run(
      traced_get(echo.url("/status/" + std::to_string(code)), client_into(memory)));
  REQUIRE(result);  // an HTTP answer is a result, whatever its status
  CHECK(result->result_int() == static_cast<unsigned>(code));
  auto spans = wait_for_spans(memory, 2);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(client.status.code == StatusCode::error);
  CHECK(client.status.description.empty());
  CHECK(string_attribute(client, "error.type") == std::to_string(code));
  CHECK(int_attribute(client, "http.response.status_code") == code);
}

TEST_CASE("connection failures and timeouts are errors on the result and on the span") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto options = client_into(memory);
  std::string url;
  std::string error_type;
  Error::Code code = Error::Code::io_failure;
  SECTION("nothing listens") {
    url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
    error_type = "connection_refused";
  }
  SECTION("the server accepts but never answers") {
    auto silent = std::make_shared<tcp::acceptor>(background.io, loopback());
    net::co_spawn(background.io, accept_and_hold(silent), net::detached);
    url = url_of(silent->local_endpoint(), "/x");
    options.timeout = std::chrono::milliseconds(200);
    error_type = "timeout";
    code = Error::Code::timed_out;
  }
  SECTION("the server closes without answering") {
    auto rude = std::make_shared<tcp::acceptor>(background.io, loopback());
    net::co_spawn(background.io, accept_and_close(rude), net::detached);
    url = url_of(rude->local_endpoint(), "/x");
    error_type = "connection_reset";
  }
  auto result = background.run(traced_get(url, options));
  REQUIRE_FALSE(result);
  INFO(result.error().message);
  CHECK(result.error().code == code);
  CHECK_THAT(result.error().message, Catch::StartsWith("GET " + url + ": "));
  auto spans = wait_for_spans(memory, 1);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(client.status.code == StatusCode::error);
  CHECK_FALSE(client.status.description.empty());
  CHECK(string_attribute(client, "error.type") == error_type);
  CHECK_FALSE(has_attribute(client, "http.response.status_code"));
}

TEST_CASE("credentials and signatures never reach url.full; credentials become Basic auth") {
  MemoryProvider memory(roomy_settings());
  EchoServer echo(memory);
  const std::string port = std::to_string(echo.server.local_endpoint().port());
  auto result = echo.background.run(
      traced_get("http://alice:s3cr%40t@127.0.0.1:" + port + "/files?name=x&sig=abc#part",
                 client_into(memory)));
  REQUIRE(result);
  // The server receives the real query and the credentials, as Basic authorization.
  CHECK_THAT(result->body(), Catch::StartsWith("GET /files?name=x&sig=abc\n"));
  CHECK_THAT(result->body(), Catch::Contains("authorization: Basic YWxpY2U6czNjckB0\n"));
  auto spans = wait_for_spans(memory, 2);
  CHECK(string_attribute(only_span_of_kind(spans, SpanKind::client), "url.full") ==
        "http://REDACTED:REDACTED@127.0.0.1:" + port + "/files?name=x&sig=REDACTED#part");
}

TEST_CASE("URLs the client cannot call are errors without a span") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  std::string url;
  SECTION("another scheme") {
    url = "ftp://127.0.0.1/file";
  }
  SECTION("no scheme") {
    url = "127.0.0.1:8080/x";
  }
  SECTION("a port out of range") {
    url = "http://127.0.0.1:70000/x";
  }
  auto result = background.run(traced_get(url, client_into(memory)));
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Error::Code::invalid_argument);
  CHECK_FALSE(result.error().message.empty());
  memory.provider.force_flush();
  CHECK(memory.store->size() == 0);
}

TEST_CASE("HttpClient keeps its connection alive and reopens one the server closed") {
  MemoryProvider memory(roomy_settings());
  HttpServerOptions server_options;
  server_options.session.idle_timeout = std::chrono::milliseconds(150);
  EchoServer echo(memory, server_options);
  const std::string url = echo.url("/api/specs/7");
  bool pause_between = false;
  SECTION("two calls in a row share the connection") {}
  SECTION("a call after the server closed the idle connection") {
    pause_between = true;
  }
  auto calls = [&]() -> net::awaitable<int> {
    HttpClient client(co_await net::this_coro::executor, client_into(memory));
    int succeeded = 0;
    for (int index = 0; index < 2; ++index) {
      if (index == 1 && pause_between) co_await sleep_for(std::chrono::milliseconds(400));
      auto call = client.get(url);
      auto result = co_await std::move(call);
      if (result && result->result() == http::status::ok) ++succeeded;
    }
    co_return succeeded;
  };
  CHECK(echo.background.run(calls()) == 2);

  auto spans = wait_for_spans(memory, 4);
  auto servers = spans_of_kind(spans, SpanKind::server);
  REQUIRE(servers.size() == 2);
  const bool same_connection = int_attribute(*servers[0], "network.peer.port") ==
                               int_attribute(*servers[1], "network.peer.port");
  CHECK(same_connection == !pause_between);
  for (const SpanData* client : spans_of_kind(spans, SpanKind::client))
    CHECK(client->status.code == StatusCode::unset);
}

TEST_CASE("POST sends its body and content type; methods outside the known set are _OTHER") {
  MemoryProvider memory(roomy_settings());
  EchoServer echo(memory);
  SECTION("traced_http_post") {
    auto post = traced_http_post(echo.url("/api/runs"), "{\"spec\":7}", "application/json",
                                 client_into(memory));
    auto result = echo.background.run(std::move(post));
    REQUIRE(result);
    CHECK_THAT(result->body(), Catch::StartsWith("POST /api/runs\n"));
    CHECK_THAT(result->body(), Catch::Contains("content-type: application/json\n"));
    CHECK_THAT(result->body(), Catch::Contains("body: {\"spec\":7}\n"));
    auto spans = wait_for_spans(memory, 2);
    const SpanData& client = only_span_of_kind(spans, SpanKind::client);
    CHECK(client.name == "POST");
    CHECK(int_attribute(client, "http.request.body.size") == 10);
  }
  SECTION("a custom method") {
    HttpClientRequest request;
    request.method_string("PURGE");
    auto purge = traced_http_request(echo.url("/cache"), std::move(request), client_into(memory));
    auto result = echo.background.run(std::move(purge));
    REQUIRE(result);
    CHECK_THAT(result->body(), Catch::StartsWith("PURGE /cache\n"));
    auto spans = wait_for_spans(memory, 2);
    const SpanData& client = only_span_of_kind(spans, SpanKind::client);
    CHECK(client.name == "HTTP");
    CHECK(string_attribute(client, "http.request.method") == "_OTHER");
    CHECK(string_attribute(client, "http.request.method_original") == "PURGE");
  }
  SECTION("HEAD reads no body") {
    HttpClientRequest request(http::verb::head, "/", 11);
    auto head =
        traced_http_request(echo.url("/api/specs/7"), std::move(request), client_into(memory));
    auto result = echo.background.run(std::move(head));
    REQUIRE(result);
    CHECK(result->result() == http::status::ok);
    CHECK(result->body().empty());
  }
}

TEST_CASE("inject_current_context writes the current span with the chosen propagator") {
  MemoryProvider memory(roomy_settings());
  auto span = memory.tracer.start_span("outgoing call", {.kind = SpanKind::client});
  auto scope = span.activate();
  const std::string trace = span.context().trace_id.to_hex();
  const std::string id = span.context().span_id.to_hex();
  http::fields headers;
  SECTION("the global propagator: W3C Trace Context and Baggage") {
    Scope with_baggage(current_context().with_baggage(Baggage().with("tenant", "acme")));
    inject_current_context(headers);
    CHECK(headers["traceparent"] == "00-" + trace + "-" + id + "-03");
    CHECK(headers["baggage"] == "tenant=acme");
  }
  SECTION("B3, given explicitly") {
    inject_current_context(headers, *make_b3_propagator());
    CHECK(headers["b3"] == trace + "-" + id + "-1");
    CHECK(headers.find("traceparent") == headers.end());
  }
  SECTION("the propagator OTEL_PROPAGATORS names, through the client options") {
    auto config = finalize_config({}, Environment::from_pairs({{"OTEL_PROPAGATORS", "b3multi"}}));
    REQUIRE(config);
    inject_current_context(headers, *http_client_options(*config).propagator);
    CHECK(headers["X-B3-TraceId"] == trace);
    CHECK(headers["X-B3-SpanId"] == id);
    CHECK(headers.find("traceparent") == headers.end());
  }
}

TEST_CASE("an unsampled caller still propagates its trace, and nothing is recorded") {
  MemoryProvider server_memory(roomy_settings());
  MemoryProvider client_memory(roomy_settings(make_always_off_sampler()));
  EchoServer echo(server_memory);
  auto result =
      echo.background.run(traced_get(echo.url("/api/specs/7"), client_into(client_memory)));
  REQUIRE(result);
  const std::string body = result->body();
  const auto start = body.find("traceparent: 00-");
  REQUIRE(start != std::string::npos);
  const std::string traceparent = body.substr(start + 13, 55);
  CHECK(parse_traceparent(traceparent));
  CHECK_THAT(traceparent, Catch::EndsWith("-02"));  // random, not sampled
  server_memory.provider.force_flush();
  client_memory.provider.force_flush();
  CHECK(server_memory.store->size() == 0);
  CHECK(client_memory.store->size() == 0);
}
