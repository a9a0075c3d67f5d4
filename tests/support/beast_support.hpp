// Helpers for the Beast tests: an io_context on background threads for servers, raw and Beast
// requests from the test thread with timeouts, and waiting for exported spans.
// The coroutines are defined in beast_support.cpp: GCC emits an inline coroutine in every file
// that includes its definition, used or not, and Beast's reads and writes are slow to compile.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/asio_support.hpp"
#include "tachi_trace/beast.hpp"

namespace tachi_trace::testing {

namespace beast_test {
namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;
}  // namespace beast_test

using StringRequest = boost::beast::http::request<boost::beast::http::string_body>;
using StringResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// `task`'s value in an optional: co_spawn needs default-constructible results, Expected is not.
template <typename Value>
boost::asio::awaitable<std::optional<Value>> as_optional(boost::asio::awaitable<Value> task) {
  std::optional<Value> value;
  value.emplace(co_await std::move(task));
  co_return value;
}

/// An io_context run by `thread_count` threads until the object is destroyed; servers live on it.
class BackgroundIo {
 public:
  explicit BackgroundIo(int thread_count = 2) : work_(io.get_executor()) {
    for (int index = 0; index < thread_count; ++index)
      threads_.emplace_back([this] { io.run(); });
  }
  BackgroundIo(const BackgroundIo&) = delete;
  BackgroundIo& operator=(const BackgroundIo&) = delete;
  ~BackgroundIo() {
    work_.reset();
    io.stop();
    for (auto& thread : threads_)
      thread.join();
  }

  /// Runs `task` as a tachi_trace task on the background threads and waits for its result, at
  /// most `limit`.
  template <typename Value>
  Value run(boost::asio::awaitable<Value> task,
            std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto future =
        tachi_trace::co_spawn(io, Context(), as_optional(std::move(task)), boost::asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready)
      throw std::runtime_error("the task did not finish in time");
    return std::move(*future.get());
  }

  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

inline boost::asio::ip::tcp::endpoint loopback() {
  return {boost::asio::ip::make_address("127.0.0.1"), 0};
}

inline std::string url_of(const boost::asio::ip::tcp::endpoint& server, std::string_view target) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(target);
}

/// Runs `task` on an io_context of the calling thread, at most `limit`.
template <typename Value>
Value run_here(boost::asio::awaitable<Value> task,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, as_optional(std::move(task)), boost::asio::use_future);
  io.run_for(limit);
  if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    throw std::runtime_error("the exchange did not finish in time");
  return std::move(*future.get());
}

/// What a server sent back on one connection, and whether it closed the connection.
struct RawReply {
  std::string bytes;
  bool closed = false;
};

/// Connects to `server`, sends `bytes` as they are and reads until the server closes the
/// connection (5 s at most).
boost::asio::awaitable<RawReply> raw_exchange(boost::asio::ip::tcp::endpoint server,
                                              std::string bytes);
/// Sends `bytes` as they are and reads until the server closes the connection (5 s at most).
RawReply send_raw(boost::asio::ip::tcp::endpoint server, std::string bytes);
/// The responses read on one connection, and the client's port on it.
struct Exchanged {
  std::vector<StringResponse> responses;
  std::uint16_t local_port = 0;
};

/// Sends `requests` one after the other on one connection and reads each response.
boost::asio::awaitable<Exchanged> request_exchange(boost::asio::ip::tcp::endpoint server,
                                                   std::vector<StringRequest> requests);
/// Sends `requests` one after the other on one connection and reads each response.
Exchanged send_requests(boost::asio::ip::tcp::endpoint server, std::vector<StringRequest> requests);
/// Sends one request on a connection of its own; `local_port` receives the client's port.
StringResponse send_request(boost::asio::ip::tcp::endpoint server, StringRequest request,
                            std::uint16_t* local_port = nullptr);
inline StringRequest get_request(std::string_view target, std::string_view host = "127.0.0.1") {
  StringRequest request(boost::beast::http::verb::get, target, 11);
  request.set(boost::beast::http::field::host, host);
  return request;
}

/// Waits until `count` spans were exported (5 s at most) and returns every span exported.
inline std::vector<StoredSpan> wait_for_spans(MemoryProvider& memory, std::size_t count) {
  for (int attempt = 0; attempt < 250 && memory.store->size() < count; ++attempt) {
    memory.provider.force_flush();
    if (memory.store->size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  memory.provider.force_flush();
  return memory.store->spans();
}

inline std::vector<const SpanData*> spans_of_kind(const std::vector<StoredSpan>& spans,
                                                  SpanKind kind) {
  std::vector<const SpanData*> found;
  for (const auto& span : spans)
    if (span.data.kind == kind) found.push_back(&span.data);
  return found;
}

inline const SpanData& only_span_of_kind(const std::vector<StoredSpan>& spans, SpanKind kind) {
  auto found = spans_of_kind(spans, kind);
  if (found.size() != 1)
    throw std::runtime_error("expected one span of kind " + std::string(to_string(kind)) +
                             ", found " + std::to_string(found.size()));
  return *found.front();
}

inline const SpanData& only_span_named(const std::vector<StoredSpan>& spans, std::string_view name,
                                       SpanKind kind) {
  const SpanData* found = nullptr;
  for (const auto& span : spans) {
    if (span.data.name != name || span.data.kind != kind) continue;
    if (found != nullptr) throw std::runtime_error("more than one span named " + std::string(name));
    found = &span.data;
  }
  if (found == nullptr) throw std::runtime_error("no span named " + std::string(name));
  return *found;
}

inline std::int64_t int_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  if (value == nullptr) throw std::runtime_error("no attribute " + std::string(key));
  const std::int64_t* number = value->get_if<std::int64_t>();
  if (number == nullptr) throw std::runtime_error(std::string(key) + " is not an integer");
  return *number;
}

inline bool has_attribute(const SpanData& span, std::string_view key) {
  return span.find_attribute(key) != nullptr;
}

/// The tracing options of a test server: spans from `memory`, everything else default.
inline HttpServerTracingOptions tracing_into(const MemoryProvider& memory) {
  HttpServerTracingOptions options;
  options.tracer = memory.tracer;
  return options;
}

inline HttpClientOptions client_into(const MemoryProvider& memory) {
  HttpClientOptions options;
  options.tracer = memory.tracer;
  options.timeout = std::chrono::seconds(5);
  return options;
}

/// traced_http_get as a coroutine of its own, which BackgroundIo::run can wait for.
boost::asio::awaitable<Expected<StringResponse>> traced_get(std::string url,
                                                            HttpClientOptions options);
/// GETs each of `urls` in turn through one HttpClient, `pause` apart; how many got a 200.
boost::asio::awaitable<int> get_through_one_client(
    std::vector<std::string> urls, HttpClientOptions options,
    std::chrono::milliseconds pause = std::chrono::milliseconds(0));
/// Accepts one connection and never answers on it (nor speaks TLS), until the io_context stops.
boost::asio::awaitable<void> accept_and_hold(
    std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor);
/// A listening server, or the test fails.
template <typename Handler>
HttpServer listen_on_loopback(boost::asio::io_context& io, Handler handler,
                              HttpServerOptions options = {}) {
  auto server = HttpServer::listen(io, loopback(), std::move(handler), std::move(options));
  if (!server) throw std::runtime_error(server.error().message);
  return std::move(*server);
}

}  // namespace tachi_trace::testing
