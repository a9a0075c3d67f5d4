// HTTP servers on Boost.Beast that trace every request: the middleware giving each request a
// SERVER span, a reusable coroutine session loop, and a server that stops gracefully.
//
//   namespace net = boost::asio;
//   namespace http = boost::beast::http;
//   namespace trace = tachi_trace;
//
//   auto handler = [&](http::request<http::string_body> request, trace::HttpServerSpan& span)
//       -> net::awaitable<http::response<http::string_body>> {
//     span.set_route("/api/specs/{id}");               // the span is now "GET /api/specs/{id}"
//     auto spec = co_await trace::traced_query("select", "specs", load_spec(id));  // its child
//     http::response<http::string_body> response(http::status::ok, request.version());
//     response.body() = trace::current_trace_id().to_hex();
//     co_return response;
//   };
//   auto server = trace::HttpServer::listen(io, {net::ip::make_address("0.0.0.0"), 8080},
//       trace::traced_http_handler(handler, trace::http_server_tracing_options(*config)));
//   ...
//   server->stop(std::chrono::seconds(10));  // e.g. on SIGTERM: stop accepting, finish requests
//
// The middleware, `traced_http_handler(handler, options)`, wraps a coroutine handler that takes a
// request (and, if it asks for it, the request's `HttpServerSpan&`) and returns a response of any
// Beast body. For each request it extracts the caller's context with the configured propagator
// (the global one unless given), starts a SERVER span named `{METHOD}` (`{METHOD} {route}` once
// the handler reports its route template with `set_route`; `HTTP` stands for methods outside the
// known set), runs the handler with that span current in its task, so that everything the handler
// awaits nests under it and `current_trace_id()` works, and sets the attributes of the HTTP
// semantic conventions (the README lists them). Status: Error for 5xx. A handler exception becomes
// a 500 response whose body never carries the exception's text (unless asked), and is recorded on
// the span: an exception event, status Error, `error.type` the exception's type. A 4xx leaves the
// status Unset, as the semantic conventions require of SERVER spans, unless
// `client_errors_are_errors` (TACHI_HTTP_SERVER_4XX_IS_ERROR) asks for Error.
//
// `run_http_session` is the session loop of the Beast examples: read a request under a timeout,
// call the handler, write the response, honour keep-alive, shut the connection down. With a traced
// handler the span ends once the response is written, so a write that fails is on it too.
// `HttpServer` accepts connections and runs one session per connection, each on a strand of its
// own; `stop` stops accepting, closes connections waiting for a request, lets requests in flight
// finish (answered with `Connection: close`) and, once the grace period is over, cancels the rest.
//
// Guarantees: no input makes a session throw or crash. Request headers and bodies are bounded
// (Beast parser limits): a request past a limit gets 431 or 413, one that does not parse gets 400,
// one that stalls gets 408, and the connection is closed. Such requests make no span: there is no
// request to describe. The handler is copied for each connection (capture references or shared
// pointers in it) and its awaitables must use boost::asio::any_io_executor.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "tachi_trace/config.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/span.hpp"
#include "tachi_trace/task.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace {

// ---- the middleware ----------------------------------------------------------------------------

/// The two ends of an accepted connection, read once per connection.
struct HttpConnectionInfo {
  std::string peer_address;  // IPv4-mapped IPv6 addresses are shown as IPv4
  std::uint16_t peer_port = 0;
  std::string local_address;
  std::uint16_t local_port = 0;

  /// The endpoints of `socket`; fields stay empty when the socket cannot tell (it was closed).
  static HttpConnectionInfo of(const boost::asio::ip::tcp::socket& socket);
};

/// How the middleware traces requests.
struct HttpServerTracingOptions {
  /// Reads the caller's context from the request; null: global_propagator(), at each request.
  PropagatorPointer propagator;
  /// Makes the SERVER spans; empty: global_tracer(), at each request.
  std::optional<Tracer> tracer;
  /// TACHI_HTTP_SERVER_TIMING: answer with `server-timing: trace;desc=00-...` carrying the span.
  bool server_timing = false;
  /// TACHI_HTTP_SERVER_4XX_IS_ERROR: mark spans answered with a 4xx status Error. Off by default:
  /// the semantic conventions say a SERVER span MUST leave 4xx Unset (the client erred).
  bool client_errors_are_errors = false;
  /// url.scheme of requests reaching the server directly ("https" behind TLS).
  std::string scheme = "http";
  /// Take client.address, url.scheme, server.address and server.port from `Forwarded` or
  /// `X-Forwarded-For`/`-Proto`/`-Host` when present, as the semantic conventions ask behind a
  /// proxy. Turn it off when clients reach the server directly: they could write anything there.
  bool use_forwarded_headers = true;
  /// Put the exception's message into the body of the 500 response (for development only).
  bool expose_exception_messages = false;
};

/// Options from finalized configuration: the propagator of OTEL_PROPAGATORS,
/// TACHI_HTTP_SERVER_TIMING and TACHI_HTTP_SERVER_4XX_IS_ERROR; the rest at their defaults.
HttpServerTracingOptions http_server_tracing_options(const FinalizedTracingConfig& config);

/// The SERVER span of one request. Handlers that take it as a second parameter report their route
/// through it; session loops record the response through it. Move-only; ends its span when
/// destroyed.
class HttpServerSpan {
 public:
  HttpServerSpan() noexcept = default;

  const SpanRef& span() const noexcept { return span_; }
  const SpanContext& span_context() const noexcept { return span_.context(); }
  TraceId trace_id() const noexcept { return span_.context().trace_id; }
  /// The context the handler runs in: this span and the baggage the caller sent.
  const Context& context() const noexcept { return context_; }

  /// Reports the matched route template, e.g. "/api/specs/{id}": sets `http.route` and names the
  /// span `{METHOD} {route}`. A later call replaces an earlier one. Never pass the raw path: a
  /// route must have few distinct values.
  void set_route(std::string_view route) const noexcept;

  // What session loops call (run_http_session does):

  /// Records the response about to be sent: status code, body size, status (Error for 5xx and
  /// codes outside 100-599; for 4xx when configured). Adds the `server-timing` header when enabled.
  void record_response(boost::beast::http::response_header<>& response,
                       std::optional<std::uint64_t> body_size);
  /// Records an exception thrown by the handler: an exception event, status Error with its
  /// message, `error.type` its type. The first failure recorded explains the span: a 500 or a
  /// failed write recorded afterwards changes neither.
  void record_exception(const std::exception_ptr& error) noexcept;
  /// Records a response that could not be written: status Error, `error.type` naming the failure.
  void record_write_error(const boost::system::error_code& error) noexcept;
  /// Ends the span now (the destructor does otherwise).
  void end() noexcept { span_.end(); }

 private:
  friend HttpServerSpan start_http_server_span(const boost::beast::http::request_header<>& request,
                                               const HttpConnectionInfo& connection,
                                               const HttpServerTracingOptions& options,
                                               std::optional<std::uint64_t> body_size);
  void mark_error(std::string_view error_type, std::string_view description) noexcept;

  Span span_;
  Context context_;
  std::string_view method_label_;  // static text: a known method, or "HTTP"
  bool client_errors_are_errors_ = false;
  bool server_timing_ = false;
  bool error_recorded_ = false;
};

/// Extracts the caller's context from `request` and starts its SERVER span with the request's
/// attributes (what the middleware does for each request; for loops of your own). `body_size`:
/// the request body's size when known.
HttpServerSpan start_http_server_span(const boost::beast::http::request_header<>& request,
                                      const HttpConnectionInfo& connection,
                                      const HttpServerTracingOptions& options,
                                      std::optional<std::uint64_t> body_size = std::nullopt);

namespace detail {

template <typename Handler, typename Request>
concept HandlerTakingSpan = std::invocable<Handler&, Request, HttpServerSpan&>;
template <typename Handler, typename Request>
concept HandlerTakingRequest = std::invocable<Handler&, Request>;
template <typename Handler, typename Request>
concept HttpHandlerFor =
    HandlerTakingSpan<Handler, Request> || HandlerTakingRequest<Handler, Request>;

template <typename Awaitable>
struct AwaitableValue;
template <typename Value, typename Executor>
struct AwaitableValue<boost::asio::awaitable<Value, Executor>> {
  using type = Value;
};

/// The size of a message's body when its body type can tell.
template <typename Message>
std::optional<std::uint64_t> payload_size_of(const Message& message) {
  const auto size = message.payload_size();
  return size ? std::optional<std::uint64_t>(*size) : std::nullopt;
}

template <typename Handler, typename Request>
auto invoke_http_handler(Handler& handler, Request&& request, HttpServerSpan& span) {
  if constexpr (HandlerTakingSpan<Handler, Request>)
    return handler(std::move(request), span);
  else
    return handler(std::move(request));
}

template <typename Handler, typename Request>
using HandlerResponse = typename AwaitableValue<decltype(invoke_http_handler(
    std::declval<Handler&>(), std::declval<Request>(), std::declval<HttpServerSpan&>()))>::type;

/// The text of the 500 response for a handler exception.
std::string internal_error_text(const std::exception_ptr& error, bool expose_message);

template <typename Response>
Response internal_error_response(unsigned version, const std::exception_ptr& error,
                                 bool expose_message) {
  Response response(boost::beast::http::status::internal_server_error, version);
  if constexpr (std::is_assignable_v<decltype(response.body())&, std::string>) {
    response.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
    response.body() = internal_error_text(error, expose_message);
  }
  return response;
}

/// Runs `work` with `context` current: in the running task's slot when there is one (so the
/// handler's awaitables see it), else as a task of its own.
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> run_with_context(
    Context context, boost::asio::awaitable<Value, Executor> work) {
  ContextSlot* task_slot = active_task_slot_variable();
  if (task_slot != nullptr && task_slot->is_task_slot()) {
    Scope scope(*task_slot, std::move(context));
    Value result = co_await std::move(work);
    co_return result;
  }
  auto executor = co_await boost::asio::this_coro::executor;
  Value result = co_await tachi_trace::co_spawn(executor, std::move(context), std::move(work),
                                                boost::asio::use_awaitable_t<Executor>());
  // The task's completion resumed this coroutine inline, still inside the task's slot
  // activation; a hop through the executor hands the caller its own context back.
  co_await boost::asio::post(executor, boost::asio::use_awaitable_t<Executor>());
  co_return result;
}

/// Calls `handler`, with `context` current unless it is null; an exception becomes a 500
/// response (after `on_exception` saw it).
template <typename Response, typename Handler, typename Request, typename OnException>
boost::asio::awaitable<Response> respond_or_fail(Handler& handler, Request request,
                                                 HttpServerSpan& span, const Context* context,
                                                 bool expose_message, OnException on_exception) {
  const unsigned version = request.version();
  std::optional<Response> response;
  std::exception_ptr failure;
  try {
    auto work = invoke_http_handler(handler, std::move(request), span);
    ContextSlot* task_slot = context != nullptr ? active_task_slot_variable() : nullptr;
    if (context == nullptr) {
      response.emplace(co_await std::move(work));
    } else if (task_slot != nullptr && task_slot->is_task_slot()) {
      // In a task (the session loop is one): the context goes into its slot for the handler.
      Scope scope(*task_slot, *context);
      response.emplace(co_await std::move(work));
    } else {
      auto work_in_context = run_with_context(*context, std::move(work));
      response.emplace(co_await std::move(work_in_context));
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    on_exception(failure);
    response.emplace(internal_error_response<Response>(version, failure, expose_message));
  }
  co_return std::move(*response);
}

}  // namespace detail

/// The middleware: `Handler` with a SERVER span around each request. See the header comment.
template <typename Handler>
class TracedHttpHandler {
 public:
  TracedHttpHandler(Handler handler, HttpServerTracingOptions options)
      : handler_(std::move(handler)), options_(std::move(options)) {}

  const HttpServerTracingOptions& options() const noexcept { return options_; }
  Handler& handler() noexcept { return handler_; }

  /// Handles one request; its span ends when the response is returned (before it is written).
  /// `connection` gives the peer's address to the span.
  template <typename Body>
  requires detail::HttpHandlerFor<Handler, boost::beast::http::request<Body>>
  auto operator()(boost::beast::http::request<Body> request,
                  std::shared_ptr<const HttpConnectionInfo> connection = nullptr)
      -> boost::asio::awaitable<
          detail::HandlerResponse<Handler, boost::beast::http::request<Body>>> {
    // (A shared pointer rather than a defaulted aggregate: GCC 12 mishandles aggregates holding
    // strings given to a coroutine as default arguments.)
    static const HttpConnectionInfo unknown;
    HttpServerSpan span = start_span(request, connection ? *connection : unknown);
    auto response = co_await respond(std::move(request), span);
    span.record_response(response, detail::payload_size_of(response));
    co_return response;
  }

  // The two halves of operator(), for session loops that end the span after writing.

  template <typename Body>
  HttpServerSpan start_span(const boost::beast::http::request<Body>& request,
                            const HttpConnectionInfo& connection) const {
    std::optional<std::uint64_t> body_size;
    if (request.has_content_length() || request.chunked())
      body_size = detail::payload_size_of(request);
    return start_http_server_span(request, connection, options_, body_size);
  }

  /// Runs the handler in `span`'s context; an exception becomes a 500 response recorded on it.
  template <typename Body>
  requires detail::HttpHandlerFor<Handler, boost::beast::http::request<Body>>
  auto respond(boost::beast::http::request<Body> request, HttpServerSpan& span)
      -> boost::asio::awaitable<
          detail::HandlerResponse<Handler, boost::beast::http::request<Body>>> {
    using Response = detail::HandlerResponse<Handler, boost::beast::http::request<Body>>;
    return detail::respond_or_fail<Response>(
        handler_, std::move(request), span, &span.context(), options_.expose_exception_messages,
        [&span](const std::exception_ptr& error) { span.record_exception(error); });
  }

 private:
  Handler handler_;
  HttpServerTracingOptions options_;
};

/// Wraps `handler` in the middleware (see the header comment).
template <typename Handler>
TracedHttpHandler<Handler> traced_http_handler(Handler handler,
                                               HttpServerTracingOptions options = {}) {
  return TracedHttpHandler<Handler>(std::move(handler), std::move(options));
}

// ---- the session loop --------------------------------------------------------------------------

struct HttpSessionOptions {
  /// Longest request line and header block, in bytes; a longer one gets 431.
  std::uint32_t header_limit = 16 * 1024;
  /// Longest request body, in bytes; a longer one gets 413.
  std::uint64_t body_limit = 1024 * 1024;
  /// How long a connection may stay silent before its first request and between requests.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How long reading one request may take from its first byte; a slower one gets 408.
  std::chrono::milliseconds read_timeout{30'000};
  /// How long writing one response may take.
  std::chrono::milliseconds write_timeout{30'000};
};

/// Stops one session from any thread. HttpServer makes one per connection; for sessions of your
/// own, make one with `std::make_shared` on the session's strand and pass it to run_http_session
/// (and bind `cancellation_slot()` to the co_spawn completion for `force_stop`).
class HttpSessionControl : public std::enable_shared_from_this<HttpSessionControl> {
 public:
  /// `session_executor` is the strand the session runs on: stops are posted there.
  explicit HttpSessionControl(boost::asio::any_io_executor session_executor)
      : executor_(std::move(session_executor)) {}
  HttpSessionControl(const HttpSessionControl&) = delete;
  HttpSessionControl& operator=(const HttpSessionControl&) = delete;

  /// The session ends after the response in flight (sent with `Connection: close`), or at once
  /// when it is waiting for a request. Any thread.
  void request_stop();
  /// Cancels whatever the session awaits (terminal cancellation through `cancellation_slot()`)
  /// and closes its socket. Any thread.
  void force_stop();
  boost::asio::cancellation_slot cancellation_slot() noexcept { return cancellation_.slot(); }

  // The session's side, on its strand:

  bool stop_requested() const noexcept { return stop_requested_.load(std::memory_order_acquire); }
  void attach(boost::beast::tcp_stream& stream) noexcept { stream_ = &stream; }
  void detach() noexcept { stream_ = nullptr; }
  /// True while the session waits for the first byte of a request: a stop closes it at once.
  void set_waiting(bool waiting) noexcept { waiting_ = waiting; }

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::cancellation_signal cancellation_;
  boost::beast::tcp_stream* stream_ = nullptr;
  bool waiting_ = false;
  std::atomic<bool> stop_requested_{false};
};

namespace detail {

template <typename Handler>
struct IsTracedHttpHandler : std::false_type {};
template <typename Handler>
struct IsTracedHttpHandler<TracedHttpHandler<Handler>> : std::true_type {};

/// Waits for the first byte of the next request (unless one is buffered); false when the
/// connection should end: the client left, the idle timeout passed or a stop was requested.
boost::asio::awaitable<bool> wait_for_request(boost::beast::tcp_stream& stream,
                                              boost::beast::flat_buffer& buffer,
                                              const HttpSessionOptions& options,
                                              HttpSessionControl& control);
/// Answers `100 Continue`.
boost::asio::awaitable<boost::system::error_code> send_continue(boost::beast::tcp_stream& stream,
                                                                unsigned version,
                                                                std::chrono::milliseconds timeout);
/// Answers a request that could not be read (431, 413, 400, 408, or nothing when the client left).
boost::asio::awaitable<void> reject_request(boost::beast::tcp_stream& stream,
                                            boost::system::error_code read_error,
                                            bool request_started,
                                            std::chrono::milliseconds timeout);
/// Shuts the sending side down, as the Beast examples do, and closes the socket.
void shut_down(boost::beast::tcp_stream& stream) noexcept;
bool expects_continue(const boost::beast::http::request_header<>& request) noexcept;
/// True when the `Connection` header holds the `close` token.
bool asks_to_close(const boost::beast::http::fields& fields) noexcept;

template <typename RequestBody>
boost::asio::awaitable<boost::system::error_code> read_request(
    boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
    boost::beast::http::request_parser<RequestBody>& parser, const HttpSessionOptions& options) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  stream.expires_after(options.read_timeout);
  auto [header_error, header_size] =
      co_await http::async_read_header(stream, buffer, parser, as_tuple(use_awaitable));
  if (header_error) co_return header_error;
  if (!parser.is_done() && expects_continue(parser.get())) {
    auto continue_error =
        co_await send_continue(stream, parser.get().version(), options.write_timeout);
    if (continue_error) co_return continue_error;
    stream.expires_after(options.read_timeout);
  }
  if (parser.is_done()) co_return boost::system::error_code();
  auto [body_error, body_size] =
      co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
  co_return body_error;
}

/// Sets version, framing and keep-alive on the response; true when the connection stays open.
template <typename Body>
bool finish_framing(boost::beast::http::response<Body>& response, unsigned version,
                    bool keep_alive) {
  keep_alive = keep_alive && !asks_to_close(response);
  response.version(version);
  if (!response.has_content_length() && !response.chunked()) response.prepare_payload();
  response.keep_alive(keep_alive);
  return keep_alive && !response.need_eof();
}

/// Writes the response (only its header for HEAD); the error, if any.
template <typename Body>
boost::asio::awaitable<boost::system::error_code> write_response(
    boost::beast::tcp_stream& stream, boost::beast::http::response<Body>& response,
    bool header_only, std::chrono::milliseconds timeout) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  stream.expires_after(timeout);
  http::response_serializer<Body> serializer(response);
  if (header_only) {
    auto [error, size] =
        co_await http::async_write_header(stream, serializer, as_tuple(use_awaitable));
    co_return error;
  }
  auto [error, size] = co_await http::async_write(stream, serializer, as_tuple(use_awaitable));
  co_return error;
}

// String bodies, the common case, are read and written by code compiled once in the library:
// Beast's read and write operations are among the slowest templates to compile.
extern template boost::asio::awaitable<boost::system::error_code>
read_request<boost::beast::http::string_body>(
    boost::beast::tcp_stream&, boost::beast::flat_buffer&,
    boost::beast::http::request_parser<boost::beast::http::string_body>&,
    const HttpSessionOptions&);
extern template boost::asio::awaitable<boost::system::error_code>
write_response<boost::beast::http::string_body>(
    boost::beast::tcp_stream&, boost::beast::http::response<boost::beast::http::string_body>&, bool,
    std::chrono::milliseconds);

/// One request through a traced handler: the span ends after the response is written.
template <typename Handler, typename Request>
boost::asio::awaitable<bool> serve_traced(boost::beast::tcp_stream& stream, Request request,
                                          TracedHttpHandler<Handler>& handler,
                                          const HttpConnectionInfo& connection,
                                          const HttpSessionOptions& options,
                                          const HttpSessionControl& control) {
  const bool header_only = request.method() == boost::beast::http::verb::head;
  const unsigned version = request.version();
  const bool client_keeps_alive = request.keep_alive();
  HttpServerSpan span = handler.start_span(request, connection);
  auto response = co_await handler.respond(std::move(request), span);
  const bool keep_alive =
      finish_framing(response, version, client_keeps_alive && !control.stop_requested());
  span.record_response(response, header_only ? std::nullopt : payload_size_of(response));
  auto error = co_await write_response(stream, response, header_only, options.write_timeout);
  if (error) span.record_write_error(error);
  co_return keep_alive && !error;
}

/// One request through a plain handler: no span; an exception still becomes a 500 response.
template <typename Handler, typename Request>
boost::asio::awaitable<bool> serve_plain(boost::beast::tcp_stream& stream, Request request,
                                         Handler& handler, const HttpSessionOptions& options,
                                         const HttpSessionControl& control) {
  using Response = HandlerResponse<Handler, Request>;
  const bool header_only = request.method() == boost::beast::http::verb::head;
  const unsigned version = request.version();
  const bool client_keeps_alive = request.keep_alive();
  HttpServerSpan no_span;
  auto response = co_await respond_or_fail<Response>(handler, std::move(request), no_span, nullptr,
                                                     false, [](const std::exception_ptr&) {});
  const bool keep_alive =
      finish_framing(response, version, client_keeps_alive && !control.stop_requested());
  auto error = co_await write_response(stream, response, header_only, options.write_timeout);
  co_return keep_alive && !error;
}

/// Keeps the control pointing at the stream exactly while the session runs.
class SessionAttachment {
 public:
  SessionAttachment(HttpSessionControl& control, boost::beast::tcp_stream& stream) noexcept
      : control_(&control) {
    control_->attach(stream);
  }
  SessionAttachment(const SessionAttachment&) = delete;
  SessionAttachment& operator=(const SessionAttachment&) = delete;
  ~SessionAttachment() { control_->detach(); }

 private:
  HttpSessionControl* control_;
};

}  // namespace detail

/// Serves HTTP/1 requests on `stream` until the client leaves, a timeout passes, a request cannot
/// be read, keep-alive ends or `control` stops it. `Handler` is a TracedHttpHandler (a SERVER span
/// per request) or a plain handler `awaitable<http::response<...>>(http::request<RequestBody>)`.
/// Run it on a strand (when the io_context has several threads) as a task:
/// `tachi_trace::co_spawn(strand, tachi_trace::Context(), run_http_session(...), token)`.
template <typename RequestBody = boost::beast::http::string_body, typename Handler>
boost::asio::awaitable<void> run_http_session(boost::beast::tcp_stream stream, Handler handler,
                                              HttpSessionOptions options = {},
                                              std::shared_ptr<HttpSessionControl> control = {}) {
  namespace http = boost::beast::http;
  if (!control) control = std::make_shared<HttpSessionControl>(stream.get_executor());
  detail::SessionAttachment attachment(*control, stream);
  const HttpConnectionInfo connection = HttpConnectionInfo::of(stream.socket());
  boost::beast::flat_buffer buffer;
  while (co_await detail::wait_for_request(stream, buffer, options, *control)) {
    http::request_parser<RequestBody> parser;
    parser.header_limit(options.header_limit);
    parser.body_limit(options.body_limit);
    auto read_error = co_await detail::read_request(stream, buffer, parser, options);
    if (read_error) {
      co_await detail::reject_request(stream, read_error, parser.got_some(), options.write_timeout);
      break;
    }
    bool keep_alive = false;
    if constexpr (detail::IsTracedHttpHandler<Handler>::value)
      keep_alive = co_await detail::serve_traced(stream, parser.release(), handler, connection,
                                                 options, *control);
    else
      keep_alive =
          co_await detail::serve_plain(stream, parser.release(), handler, options, *control);
    if (!keep_alive) break;
  }
  detail::shut_down(stream);
}

// ---- the server --------------------------------------------------------------------------------

struct HttpServerOptions {
  HttpSessionOptions session;
  /// Most connections served at once; a connection past it is closed at once (and counted).
  std::size_t max_connections = 10'000;
};

namespace detail {

class HttpServerCore;
/// Starts the session of an accepted socket; calls `finished` when it is over.
using HttpSessionStarter =
    std::function<void(boost::asio::ip::tcp::socket, std::shared_ptr<HttpSessionControl> control,
                       std::function<void()> finished)>;

Expected<std::shared_ptr<HttpServerCore>> open_http_server(
    boost::asio::any_io_executor executor, const boost::asio::ip::tcp::endpoint& endpoint,
    std::size_t max_connections, HttpSessionStarter starter);

template <typename RequestBody, typename Handler>
HttpSessionStarter make_session_starter(Handler handler, HttpSessionOptions options) {
  return [handler = std::move(handler), options](boost::asio::ip::tcp::socket socket,
                                                 std::shared_ptr<HttpSessionControl> control,
                                                 std::function<void()> finished) {
    auto executor = socket.get_executor();
    auto slot = control->cancellation_slot();
    tachi_trace::co_spawn(
        executor, Context(),
        run_http_session<RequestBody>(boost::beast::tcp_stream(std::move(socket)), handler, options,
                                      std::move(control)),
        boost::asio::bind_cancellation_slot(
            slot, [finished = std::move(finished)](std::exception_ptr) { finished(); }));
  };
}

}  // namespace detail

/// Accepts connections and serves each with run_http_session, on a strand of its own. Movable;
/// destroying the last handle stops the server at once (`stop` with no grace period).
class HttpServer {
 public:
  /// Listens on `endpoint` (port 0: one the system chooses) and starts accepting. The error says
  /// why it could not listen (address in use, permission denied, ...).
  template <typename RequestBody = boost::beast::http::string_body, typename Handler>
  static Expected<HttpServer> listen(boost::asio::any_io_executor executor,
                                     const boost::asio::ip::tcp::endpoint& endpoint,
                                     Handler handler, HttpServerOptions options = {}) {
    auto core = detail::open_http_server(
        std::move(executor), endpoint, options.max_connections,
        detail::make_session_starter<RequestBody>(std::move(handler), options.session));
    if (!core) return core.error();
    return HttpServer(std::move(*core));
  }
  template <typename RequestBody = boost::beast::http::string_body, typename Handler>
  static Expected<HttpServer> listen(boost::asio::io_context& io,
                                     const boost::asio::ip::tcp::endpoint& endpoint,
                                     Handler handler, HttpServerOptions options = {}) {
    return listen<RequestBody>(io.get_executor(), endpoint, std::move(handler), std::move(options));
  }

  HttpServer(HttpServer&&) noexcept = default;
  HttpServer& operator=(HttpServer&& other) noexcept;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  /// The address and port it listens on.
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// From any thread: stop accepting, close connections waiting for a request, let requests in
  /// flight finish; after `grace`, cancel what is left. The io_context's `run` returns once every
  /// session has ended. Later calls do nothing.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Connections being served now.
  std::size_t active_connections() const;
  /// Connections closed at once because `max_connections` were being served.
  std::uint64_t rejected_connections() const;

 private:
  explicit HttpServer(std::shared_ptr<detail::HttpServerCore> core) noexcept
      : core_(std::move(core)) {}

  std::shared_ptr<detail::HttpServerCore> core_;
};

}  // namespace tachi_trace
