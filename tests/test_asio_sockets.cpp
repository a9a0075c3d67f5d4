// Real sockets: an echo server and its clients on 127.0.0.1, all tasks on four threads, each
// keeping its own context across every read and write.
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/asio_support.hpp"

using namespace tachi_trace;
using tachi_trace::testing::MemoryProvider;
namespace net = boost::asio;
using net::ip::tcp;

namespace {

constexpr int client_count = 20;
constexpr int exchanges_per_client = 5;

struct EchoRun {
  MemoryProvider memory;
  std::atomic<int> mismatches{0};
  std::atomic<int> echoed{0};
  SpanContext server_span;

  void expect_current(const SpanRef& span) {
    if (current_span_id() != span.context().span_id) ++mismatches;
  }
};

net::awaitable<void> echo_session(EchoRun& run, tcp::socket socket) {
  auto span = run.memory.tracer.start_span("session");
  auto scope = span.activate();
  char data[128];
  for (;;) {
    auto [error, size] =
        co_await socket.async_read_some(net::buffer(data), net::as_tuple(net::use_awaitable));
    if (error) break;  // the client closed the connection
    run.expect_current(span);
    co_await net::async_write(socket, net::buffer(data, size), net::use_awaitable);
    run.expect_current(span);
  }
}

net::awaitable<void> echo_server(EchoRun& run, tcp::acceptor& acceptor) {
  SpanStartOptions root;
  root.parent = Context();
  auto span = run.memory.tracer.start_span("server", root);
  run.server_span = span.context();
  auto scope = span.activate();
  for (int accepted = 0; accepted < client_count; ++accepted) {
    tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
    run.expect_current(span);
    tachi_trace::co_spawn(acceptor.get_executor(), echo_session(run, std::move(socket)),
                          net::detached);
  }
}

net::awaitable<void> echo_client(EchoRun& run, tcp::endpoint server, int index) {
  SpanStartOptions root;
  root.parent = Context();
  auto span = run.memory.tracer.start_span("client", root);
  auto scope = span.activate();
  tcp::socket socket(co_await net::this_coro::executor);
  co_await socket.async_connect(server, net::use_awaitable);
  run.expect_current(span);
  for (int exchange = 0; exchange < exchanges_per_client; ++exchange) {
    std::string message =
        "client " + std::to_string(index) + " exchange " + std::to_string(exchange);
    co_await net::async_write(socket, net::buffer(message), net::use_awaitable);
    run.expect_current(span);
    std::string reply(message.size(), '\0');
    co_await net::async_read(socket, net::buffer(reply), net::use_awaitable);
    run.expect_current(span);
    if (reply == message) ++run.echoed;
  }
}

}  // namespace

TEST_CASE("echo sessions and clients over real sockets each keep their own context") {
  EchoRun run;
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::endpoint server = acceptor.local_endpoint();
  tachi_trace::co_spawn(io, echo_server(run, acceptor), net::detached);
  for (int index = 0; index < client_count; ++index)
    tachi_trace::co_spawn(io, echo_client(run, server, index), net::detached);
  testing::run_on_threads(io, 4);

  CHECK(run.echoed == client_count * exchanges_per_client);
  CHECK(run.mismatches == 0);
  auto spans = testing::exported(run.memory);
  int sessions = 0;
  int sessions_under_server = 0;
  for (const auto& span : spans) {
    if (span.data.name != "session") continue;
    ++sessions;
    if (span.data.parent_span_id == run.server_span.span_id) ++sessions_under_server;
  }
  CHECK(sessions == client_count);
  CHECK(sessions_under_server == client_count);
}
