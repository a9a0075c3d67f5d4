// The session loop and HttpServer: bad input, limits, timeouts, connection limits and the
// graceful stop, over real sockets on 127.0.0.1.
#include <atomic>
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/beast_support.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

namespace {

StringResponse ok_response(unsigned version, std::string body = "ok") {
  StringResponse response(http::status::ok, version);
  response.body() = std::move(body);
  return response;
}

auto ok_handler() {
  return [](StringRequest request) -> net::awaitable<StringResponse> {
    co_return ok_response(request.version(), "ok " + std::string(request.target()));
  };
}

/// Polls `condition` every 2 ms, at most 5 s; true when it held.
template <typename Condition>
net::awaitable<bool> eventually(Condition condition) {
  for (int attempt = 0; attempt < 2500; ++attempt) {
    if (condition()) co_return true;
    co_await sleep_for(std::chrono::milliseconds(2));
  }
  co_return condition();
}

/// The io_context's run() returned because it ran out of work (within 10 s).
bool runs_out_of_work(net::io_context& io, int thread_count = 2) {
  std::vector<std::thread> threads;
  for (int index = 1; index < thread_count; ++index)
    threads.emplace_back([&io] { io.run_for(std::chrono::seconds(10)); });
  io.run_for(std::chrono::seconds(10));
  for (auto& thread : threads)
    thread.join();
  return io.stopped();
}

}  // namespace

TEST_CASE("requests that do not parse get 400 and make no span; the server keeps serving") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, traced_http_handler(ok_handler(), tracing_into(memory)));
  std::string garbage;
  SECTION("a request line without a target") {
    garbage = "GARBAGE\r\n\r\n";
  }
  SECTION("binary bytes (a TLS client hello)") {
    garbage = std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  }
  SECTION("a header line without a colon") {
    garbage = "GET / HTTP/1.1\r\nHost a\r\n\r\n";
  }
  SECTION("a Content-Length that is not a number") {
    garbage = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n";
  }
  SECTION("an unknown HTTP version") {
    garbage = "GET / HTTP/7.5\r\nHost: a\r\n\r\n";
  }
  SECTION("a malformed chunked body") {
    garbage = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n";
  }
  auto reply = send_raw(server.local_endpoint(), garbage);
  CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  CHECK_THAT(reply.bytes, Catch::Contains("Connection: close\r\n"));
  CHECK(reply.closed);
  memory.provider.force_flush();
  CHECK(memory.store->size() == 0);

  auto response = send_request(server.local_endpoint(), get_request("/after"));
  CHECK(response.body() == "ok /after");
  CHECK(wait_for_spans(memory, 1).size() == 1);
}

TEST_CASE("requests past the header or body limit get 431 or 413") {
  BackgroundIo background;
  HttpServerOptions options;
  options.session.header_limit = 1024;
  options.session.body_limit = 64;
  auto server = listen_on_loopback(background.io, ok_handler(), options);
  SECTION("a header block over the limit") {
    auto reply =
        send_raw(server.local_endpoint(),
                 "GET / HTTP/1.1\r\nHost: a\r\nX-Padding: " + std::string(2000, 'x') + "\r\n\r\n");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    CHECK(reply.closed);
  }
  SECTION("a Content-Length over the limit is refused before the body is read") {
    auto reply = send_raw(server.local_endpoint(),
                          "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nabc");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
    CHECK(reply.closed);
  }
  SECTION("a chunked body growing over the limit") {
    auto reply = send_raw(server.local_endpoint(),
                          "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "50\r\n" +
                              std::string(80, 'b') + "\r\n0\r\n\r\n");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  }
  SECTION("a body within the limit") {
    auto reply = send_raw(server.local_endpoint(),
                          "POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 64\r\n"
                          "Connection: close\r\n\r\n" +
                              std::string(64, 'c'));
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK_THAT(reply.bytes, Catch::EndsWith("ok /small"));
  }
}

TEST_CASE("a plain handler's exception also becomes a 500, without a span") {
  BackgroundIo background;
  auto server =
      listen_on_loopback(background.io, [](StringRequest) -> net::awaitable<StringResponse> {
        throw std::logic_error("secret detail");
        co_return StringResponse();
      });
  auto response = send_request(server.local_endpoint(), get_request("/"));
  CHECK(response.result() == http::status::internal_server_error);
  CHECK(response.body() == "Internal Server Error\n");
}

TEST_CASE("silent connections are closed after the idle timeout") {
  BackgroundIo background;
  HttpServerOptions options;
  options.session.idle_timeout = std::chrono::milliseconds(100);
  auto server = listen_on_loopback(background.io, ok_handler(), options);
  SECTION("before the first request") {
    auto reply = send_raw(server.local_endpoint(), "");
    CHECK(reply.bytes.empty());
    CHECK(reply.closed);
  }
  SECTION("after a request on a kept-alive connection") {
    auto reply = send_raw(server.local_endpoint(), "GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_THAT(reply.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK_THAT(reply.bytes, Catch::EndsWith("ok /one"));
    CHECK(reply.closed);
  }
}

TEST_CASE("connections past max_connections are closed at once and counted") {
  BackgroundIo background;
  HttpServerOptions options;
  options.max_connections = 1;
  auto server = listen_on_loopback(background.io, ok_handler(), options);
  auto scenario = [&]() -> net::awaitable<std::string> {
    boost::beast::tcp_stream first(co_await net::this_coro::executor);
    co_await first.async_connect(server.local_endpoint(), net::use_awaitable);
    if (!co_await eventually([&] { return server.active_connections() == 1; }))
      co_return "the first connection was not admitted";
    auto second = co_await raw_exchange(server.local_endpoint(), "GET / HTTP/1.1\r\n\r\n");
    if (!second.closed || !second.bytes.empty()) co_return "the second connection was served";
    co_return "ok";
  };
  CHECK(run_here(scenario()) == "ok");
  CHECK(server.rejected_connections() == 1);
}

TEST_CASE("stop finishes requests in flight, closes idle connections and lets run() return") {
  MemoryProvider memory(roomy_settings());
  net::io_context io;
  std::atomic<bool> handler_started{false};
  std::atomic<bool> stop_called{false};
  // The handler answers only after stop() was called: it is in flight during the stop.
  auto handler = [&](StringRequest request) -> net::awaitable<StringResponse> {
    handler_started = true;
    co_await eventually([&] { return stop_called.load(); });
    co_return ok_response(request.version(), "finished");
  };
  auto server = listen_on_loopback(io, traced_http_handler(handler, tracing_into(memory)));
  const auto endpoint = server.local_endpoint();
  std::string in_flight_result;
  std::string idle_result;
  std::string late_result;

  auto in_flight_client = [&]() -> net::awaitable<void> {
    std::vector<StringRequest> requests;
    requests.push_back(get_request("/slow"));
    auto exchanged = co_await request_exchange(endpoint, std::move(requests));
    const auto& response = exchanged.responses.at(0);
    in_flight_result = response.body() + (response.keep_alive() ? " keep-alive" : " close");
    // stop() closes the acceptor on the server's strand, which another io thread may not have run
    // yet: new connections are refused from then on.
    late_result = "accepted";
    for (int attempt = 0; attempt < 2500 && late_result == "accepted"; ++attempt) {
      tcp::socket socket(co_await net::this_coro::executor);
      auto [error] = co_await socket.async_connect(endpoint, net::as_tuple(net::use_awaitable));
      if (error)
        late_result = "refused";
      else
        co_await sleep_for(std::chrono::milliseconds(2));
    }
  };
  auto idle_client = [&]() -> net::awaitable<void> {
    auto reply = co_await raw_exchange(endpoint, "");
    idle_result = reply.closed && reply.bytes.empty() ? "closed" : "not closed";
  };
  auto stopper = [&]() -> net::awaitable<void> {
    co_await eventually([&] { return handler_started && server.active_connections() == 2; });
    server.stop(std::chrono::seconds(5));
    stop_called = true;
  };
  net::co_spawn(io, in_flight_client(), net::detached);
  net::co_spawn(io, idle_client(), net::detached);
  net::co_spawn(io, stopper(), net::detached);

  CHECK(runs_out_of_work(io));
  CHECK(in_flight_result == "finished close");
  CHECK(idle_result == "closed");
  CHECK(late_result == "refused");
  CHECK(server.active_connections() == 0);
  auto spans = wait_for_spans(memory, 1);
  REQUIRE(spans.size() == 1);
  CHECK(int_attribute(spans[0].data, "http.response.status_code") == 200);
  CHECK(spans[0].data.status.code == StatusCode::unset);
}

TEST_CASE("after the grace period, stop cancels what is still running") {
  MemoryProvider memory(roomy_settings());
  net::io_context io;
  std::atomic<bool> handler_started{false};
  auto handler = [&](StringRequest request) -> net::awaitable<StringResponse> {
    handler_started = true;
    co_await sleep_for(std::chrono::hours(1));
    co_return ok_response(request.version());
  };
  auto server = listen_on_loopback(io, traced_http_handler(handler, tracing_into(memory)));
  const auto endpoint = server.local_endpoint();
  std::string client_result;
  auto client = [&]() -> net::awaitable<void> {
    auto reply = co_await raw_exchange(endpoint, "GET /forever HTTP/1.1\r\nHost: a\r\n\r\n");
    client_result = reply.closed ? "closed" : "open";
  };
  auto stopper = [&]() -> net::awaitable<void> {
    co_await eventually([&] { return handler_started.load(); });
    server.stop(std::chrono::milliseconds(50));
  };
  net::co_spawn(io, client(), net::detached);
  net::co_spawn(io, stopper(), net::detached);

  CHECK(runs_out_of_work(io));
  CHECK(client_result == "closed");
  auto spans = wait_for_spans(memory, 1);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].data.status.code == StatusCode::error);
  CHECK(spans[0].data.status.description == "cancelled");
}

TEST_CASE("listening on a port in use is an error naming the address") {
  net::io_context io;
  tcp::acceptor taken(io, loopback());
  auto server = HttpServer::listen(io, taken.local_endpoint(), ok_handler());
  REQUIRE_FALSE(server);
  CHECK(server.error().code == Error::Code::io_failure);
  CHECK_THAT(server.error().message,
             Catch::StartsWith("cannot listen on 127.0.0.1:" +
                               std::to_string(taken.local_endpoint().port()) + ": bind: "));
}
