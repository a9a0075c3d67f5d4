// The traced HTTP client: URL handling, the CLIENT span, the connection kept alive between calls.
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <type_traits>
#include <vector>

#include "basic_authorization.hpp"
#include "beast/http_semantics.hpp"
#include "beast/strands.hpp"
#include "propagation/text.hpp"
#include "tachi_trace/beast_client.hpp"
#include "tachi_trace/propagation_beast.hpp"
#include "tachi_trace/semantic_conventions.hpp"
#include "tachi_trace/task.hpp"
#include "tachi_trace/url.hpp"
#include "transport/proxy_tunnel.hpp"
#include "transport/tls.hpp"

namespace tachi_trace {

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::as_tuple;
using net::use_awaitable;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using CallDeadline = std::optional<Clock::time_point>;

/// A URL taken apart for a call: where to connect, what to send, what the span shows.
struct ClientTarget {
  HttpUrl url;
  std::string authorization;  // "Basic ..." from user information, or empty
  std::string full;           // url.full: credentials and sensitive query values redacted
};

std::string redacted_path_and_query(std::string_view path_and_query) {
  const auto question = path_and_query.find('?');
  if (question == std::string_view::npos) return std::string(path_and_query);
  const std::string_view query = path_and_query.substr(question + 1);
  if (!http_semantics::has_sensitive_query_value(query)) return std::string(path_and_query);
  return std::string(path_and_query.substr(0, question + 1)) + http_semantics::redact_query(query);
}

std::string basic_authorization(std::string_view user_information) {
  const auto colon = user_information.find(':');
  const std::string_view password =
      colon == std::string_view::npos ? std::string_view() : user_information.substr(colon + 1);
  return detail::basic_authorization(
      propagation::percent_decode(user_information.substr(0, colon), false),
      propagation::percent_decode(password, false));
}

/// Parses `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`.
Expected<ClientTarget> parse_client_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    auto parsed = parse_http_url(text);  // its error message says what is wrong
    if (!parsed) return parsed.error();
    return Error{Error::Code::invalid_argument, "\"" + std::string(text) + "\" is not a URL"};
  }
  const auto authority_start = scheme_end + 3;
  const auto authority_end = std::min(text.find_first_of("/?#", authority_start), text.size());
  std::string_view authority = text.substr(authority_start, authority_end - authority_start);
  const auto at = authority.rfind('@');
  const std::string_view user_information =
      at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  const auto fragment_start = std::min(text.find('#', authority_end), text.size());
  const std::string_view path_and_query =
      text.substr(authority_end, fragment_start - authority_end);
  const std::string_view scheme = text.substr(0, scheme_end);

  auto url = parse_http_url(std::string(scheme) + "://" + std::string(authority) +
                            std::string(path_and_query));
  if (!url) return url.error();
  ClientTarget target{std::move(*url), {}, {}};
  target.full = std::string(scheme) + "://";
  if (at != std::string_view::npos) {
    target.authorization = basic_authorization(user_information);
    const bool has_password = user_information.find(':') != std::string_view::npos;
    target.full += has_password ? "REDACTED:REDACTED@" : "REDACTED@";
  }
  target.full += authority;
  target.full += redacted_path_and_query(path_and_query);
  target.full += text.substr(fragment_start);
  return target;
}

void prepare_request(HttpClientRequest& request, const ClientTarget& target,
                     const std::optional<HttpProxy>& proxy) {
  request.version(11);
  request.target(proxy ? detail::proxied_target(target.url) : target.url.target);
  request.set(http::field::host, target.url.host_header());
  if (!target.authorization.empty() && request.find(http::field::authorization) == request.end())
    request.set(http::field::authorization, target.authorization);
  // Through a tunnel (https) the credentials go with CONNECT only: the server must not see them.
  if (proxy && !target.url.secure && !proxy->username.empty())
    request.set(http::field::proxy_authorization, proxy->authorization());
  request.prepare_payload();
}

bool is_idempotent(http::verb method) noexcept {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

/// A connection the server may have closed while it was idle: readable (end of stream, or bytes
/// nobody asked for) instead of quiet.
bool still_open(tcp::socket& socket) {
  boost::system::error_code error;
  socket.non_blocking(true, error);
  if (error) return false;
  char byte = 0;
  socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, error);
  return error == net::error::would_block;
}

CallDeadline call_deadline(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return std::nullopt;
  return Clock::now() + timeout;
}

void set_expiry(boost::beast::tcp_stream& stream, const CallDeadline& deadline) {
  if (deadline)
    stream.expires_at(*deadline);
  else
    stream.expires_never();
}

using Endpoints = std::vector<tcp::endpoint>;
using LookupChannel = net::experimental::concurrent_channel<void(boost::system::error_code,
                                                                 tcp::resolver::results_type)>;

Endpoints to_endpoints(const tcp::resolver::results_type& results) {
  Endpoints endpoints;
  for (const auto& entry : results)
    endpoints.push_back(entry.endpoint());
  return endpoints;
}

using LookupResult = std::pair<boost::system::error_code, Endpoints>;

/// Resolves `host`; an IP literal needs no lookup. A lookup still running at the deadline is
/// abandoned (the system resolver cannot be interrupted) and reported as a timeout.
net::awaitable<LookupResult> look_up(const std::string& host, std::uint16_t port,
                                     CallDeadline deadline) {
  boost::system::error_code error;
  const auto address = net::ip::make_address(host, error);
  if (!error) co_return LookupResult(error, Endpoints{tcp::endpoint(address, port)});
  auto executor = co_await net::this_coro::executor;
  auto channel = std::make_shared<LookupChannel>(executor, 1);
  auto resolver = std::make_shared<tcp::resolver>(executor);
  resolver->async_resolve(host, std::to_string(port),
                          [channel, resolver](boost::system::error_code lookup_error,
                                              tcp::resolver::results_type results) {
                            channel->try_send(lookup_error, std::move(results));
                          });
  net::steady_timer timer(executor);
  if (deadline)
    timer.expires_at(*deadline);
  else
    timer.expires_at(Clock::time_point::max());
  using namespace net::experimental::awaitable_operators;
  auto first = co_await (channel->async_receive(as_tuple(use_awaitable)) ||
                         timer.async_wait(as_tuple(use_awaitable)));
  if (first.index() == 1)
    co_return LookupResult(make_error_code(boost::beast::error::timeout), Endpoints{});
  auto& [lookup_error, results] = std::get<0>(first);
  co_return LookupResult(lookup_error, to_endpoints(results));
}

/// How one exchange ended: a response, or an error and the step that failed.
struct Exchange {
  Exchange() = default;
  Exchange(Exchange&&) noexcept = default;
  Exchange& operator=(Exchange&&) noexcept = default;
  Exchange(const Exchange&) = delete;  // it carries a whole response: moved, never copied
  Exchange& operator=(const Exchange&) = delete;

  std::optional<HttpClientResponse> response;
  boost::system::error_code error;
  std::string_view step;
  bool retryable = false;     // failed before any byte of the response came back
  std::string proxy_refusal;  // the proxy's answer when it refused a tunnel
  tcp::endpoint peer;
};

Exchange failed(std::string_view step, boost::system::error_code error, bool retryable = false) {
  Exchange exchange;
  exchange.error = error;
  exchange.step = step;
  exchange.retryable = retryable;
  return exchange;
}

SpanStartOptions client_span_options(const HttpClientRequest& request, const ClientTarget& target) {
  SpanStartOptions options;
  options.kind = SpanKind::client;
  options.attributes.reserve(4);
  options.attributes.push_back(
      {semconv::http_request_method, http_semantics::known_method(request.method_string())});
  options.attributes.push_back({semconv::server_address, target.url.host});
  options.attributes.push_back({semconv::server_port, static_cast<std::int64_t>(target.url.port)});
  options.attributes.push_back({semconv::url_full, target.full});
  return options;
}

void record_response(const SpanRef& span, const HttpClientResponse& response, bool header_only) {
  const unsigned code = response.result_int();
  span.set_attribute(semconv::http_response_status_code, static_cast<std::int64_t>(code));
  const std::string_view version = http_semantics::protocol_version(response.version());
  if (!version.empty()) span.set_attribute(semconv::network_protocol_version, version);
  if (!header_only) span.set_attribute(semconv::http_response_body_size, response.body().size());
  // Client spans mark 4xx as well as 5xx; the reason is in the status code.
  if (code >= 400 || code < 100) {
    span.set_attribute(semconv::error_type, std::to_string(code));
    span.set_status(StatusCode::error);
  }
}

/// The peer's address as text, written directly for IPv4 (the common case): the general
/// formatter goes through inet_ntop and sprintf, a noticeable share of a traced call's cost.
void set_peer_address(const SpanRef& span, const net::ip::address& address) {
  if (!address.is_v4()) {
    span.set_attribute(semconv::network_peer_address, address.to_string());
    return;
  }
  const auto bytes = address.to_v4().to_bytes();
  std::array<char, 16> text{};  // "255.255.255.255" and room to spare
  std::size_t length = 0;
  for (std::size_t index = 0; index < bytes.size(); ++index) {
    if (index != 0) text[length++] = '.';
    const unsigned value = bytes[index];
    if (value >= 100) text[length++] = static_cast<char>('0' + value / 100);
    if (value >= 10) text[length++] = static_cast<char>('0' + value / 10 % 10);
    text[length++] = static_cast<char>('0' + value % 10);
  }
  span.set_attribute(semconv::network_peer_address, std::string_view(text.data(), length));
}

void record_exchange(const SpanRef& span, const HttpClientRequest& request,
                     const Exchange& exchange) {
  if (!span.is_recording()) return;
  const std::string_view method = request.method_string();
  if (http_semantics::known_method(method) != method)
    span.set_attribute(semconv::http_request_method_original, method);
  if (!request.body().empty())
    span.set_attribute(semconv::http_request_body_size, request.body().size());
  if (exchange.peer.port() != 0) {
    set_peer_address(span, exchange.peer.address());

    span.set_attribute(semconv::network_peer_port, static_cast<std::int64_t>(exchange.peer.port()));
  }
  if (exchange.response) {
    record_response(span, *exchange.response, request.method() == http::verb::head);
    return;
  }
  span.set_attribute(semconv::network_protocol_version, "1.1");
  if (!exchange.proxy_refusal.empty()) {
    span.set_attribute(semconv::error_type, "proxy_refused");
    span.set_status(StatusCode::error, exchange.proxy_refusal);
    return;
  }
  span.set_attribute(semconv::error_type, http_semantics::error_type(exchange.error));
  span.set_status(StatusCode::error, exchange.error.message());
}

Error exchange_error(const HttpClientRequest& request, const ClientTarget& target,
                     const Exchange& exchange, std::chrono::milliseconds timeout) {
  const std::string call = std::string(request.method_string()) + " " + target.full + ": ";
  if (!exchange.proxy_refusal.empty())
    return Error{Error::Code::io_failure,
                 call + std::string(exchange.step) + ": " + exchange.proxy_refusal};
  if (http_semantics::error_type(exchange.error) == "timeout")
    return Error{Error::Code::timed_out, call + "no answer within " +
                                             std::to_string(timeout.count()) + " ms (" +
                                             std::string(exchange.step) + ")"};
  return Error{Error::Code::io_failure,
               call + std::string(exchange.step) + ": " + exchange.error.message()};
}

}  // namespace

HttpClientOptions http_client_options(const FinalizedTracingConfig& config) {
  HttpClientOptions options;
  options.propagator = make_propagator(config);
  options.proxies = config.proxies();
  return options;
}

void inject_context(const Context& context, http::fields& headers,
                    const TextMapPropagator& propagator) {
  BeastHeaderCarrier carrier(headers);
  propagator.inject(context, carrier);
}

void inject_current_context(http::fields& headers, const TextMapPropagator& propagator) {
  inject_context(current_context(), headers, propagator);
}

struct HttpClient::State {
  net::any_io_executor executor;  // a strand: the stream's timeouts need one
  HttpClientOptions options;
  // For https: taken at the first https call (which fails when the files cannot be read) and
  // refreshed at each new connection; shared with clients of the same TLS settings, the TLS
  // sessions of their servers too; outlives the streams.
  std::shared_ptr<detail::TlsClientContext> tls;
  // The open connection, if any: one of the two.
  std::optional<boost::beast::tcp_stream> plain_stream;
  std::optional<detail::TlsStream> secure_stream;
  boost::beast::flat_buffer buffer;
  std::string host;  // where the connection goes: the server, perhaps through `proxy`
  std::uint16_t port = 0;
  std::optional<HttpProxy> proxy;

  boost::beast::tcp_stream* transport() noexcept {
    if (secure_stream) return &secure_stream->next_layer();
    return plain_stream ? &*plain_stream : nullptr;
  }
  bool can_reuse(const HttpUrl& url, const std::optional<HttpProxy>& via) {
    boost::beast::tcp_stream* open = transport();
    return open != nullptr && open->socket().is_open() && secure_stream.has_value() == url.secure &&
           host == url.host && port == url.port && proxy == via && buffer.size() == 0 &&
           still_open(open->socket());
  }
  // Without a TLS close_notify: HTTP/1.1 framing tells where each response ends, and waiting for
  // the server's reply would hold the client up for nothing.
  void close() noexcept {
    secure_stream.reset();
    plain_stream.reset();
    buffer.clear();
    host.clear();
    port = 0;
    proxy.reset();
  }
  Expected<bool> prepare_tls();
  net::awaitable<std::optional<Exchange>> connect(const HttpUrl& url,
                                                  const std::optional<HttpProxy>& via,
                                                  CallDeadline deadline, bool again);
  net::awaitable<std::optional<Exchange>> tunnel(const HttpUrl& url, const HttpProxy& via,
                                                 CallDeadline deadline);
  template <typename Stream>
  net::awaitable<Exchange> send_and_receive(Stream& stream, HttpClientRequest& request,
                                            CallDeadline deadline);
  net::awaitable<Exchange> exchange(HttpClientRequest& request, const HttpUrl& url,
                                    const std::optional<HttpProxy>& via, CallDeadline deadline);
  net::awaitable<Exchange> exchange_on_strand(HttpClientRequest& request, const HttpUrl& url,
                                              const std::optional<HttpProxy>& via,
                                              CallDeadline deadline);
};

Expected<bool> HttpClient::State::prepare_tls() {
  if (tls) return true;
  auto made = detail::shared_tls_client_context(options.tls);
  if (!made) return made.error();
  tls = std::move(*made);
  return true;
}

/// Opens a connection to `url`, or to the proxy `via` and through it (TLS included for https); a
/// failure is reported as the step that failed.
net::awaitable<std::optional<Exchange>> HttpClient::State::connect(
    const HttpUrl& url, const std::optional<HttpProxy>& via, CallDeadline deadline, bool again) {
  close();
  std::string_view step = again ? "reconnect" : "connect";
  if (via) step = again ? "reconnect to the proxy" : "connect to the proxy";
  auto [lookup_error, endpoints] =
      co_await look_up(via ? via->host : url.host, via ? via->port : url.port, deadline);
  if (lookup_error) co_return failed(step, lookup_error);
  if (url.secure) {
    detail::refresh_tls_client_context(tls, options.tls);
    secure_stream.emplace(executor, *tls->ssl);
  } else {
    plain_stream.emplace(executor);
  }
  boost::beast::tcp_stream& connection = *transport();
  set_expiry(connection, deadline);
  auto [error, endpoint] = co_await connection.async_connect(endpoints, as_tuple(use_awaitable));
  if (error) {
    close();
    co_return failed(step, error);
  }
  if (url.secure && via) {
    if (auto failure = co_await tunnel(url, *via, deadline)) {
      close();
      co_return failure;
    }
  }
  if (url.secure) {
    detail::expect_server(*secure_stream, url.host);
    tls->sessions.offer(*secure_stream, url.host, url.port);
    auto [handshake_error] = co_await secure_stream->async_handshake(net::ssl::stream_base::client,
                                                                     as_tuple(use_awaitable));
    if (handshake_error) {
      close();
      co_return failed("TLS handshake", handshake_error);
    }
  }
  host = url.host;
  port = url.port;
  proxy = via;
  co_return std::nullopt;
}

net::awaitable<std::optional<Exchange>> HttpClient::State::tunnel(const HttpUrl& url,
                                                                  const HttpProxy& via,
                                                                  CallDeadline deadline) {
  set_expiry(*transport(), deadline);
  const detail::TunnelOutcome outcome = co_await detail::open_proxy_tunnel(*transport(), via, url);
  if (outcome.status == detail::TunnelOutcome::Status::failed)
    co_return failed("proxy tunnel", outcome.error);
  if (outcome.status == detail::TunnelOutcome::Status::open) co_return std::nullopt;
  Exchange refused = failed("proxy tunnel", net::error::connection_refused);
  refused.proxy_refusal = "the proxy " + via.authority() + " refused the tunnel to " +
                          url.authority() + ": " + outcome.refusal();
  co_return refused;
}

template <typename Stream>
net::awaitable<Exchange> HttpClient::State::send_and_receive(Stream& stream,
                                                             HttpClientRequest& request,
                                                             CallDeadline deadline) {
  boost::beast::tcp_stream& connection = *transport();
  set_expiry(connection, deadline);
  auto [write_error, written] =
      co_await http::async_write(stream, request, as_tuple(use_awaitable));
  if (write_error) co_return failed("send", write_error, true);
  http::response_parser<http::string_body> parser;
  parser.header_limit(options.response_header_limit);
  parser.body_limit(options.response_body_limit);
  if (request.method() == http::verb::head) parser.skip(true);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
  if (read_error) co_return failed("receive", read_error, !parser.got_some());
  connection.expires_never();
  if constexpr (std::is_same_v<Stream, detail::TlsStream>) tls->sessions.keep(stream, host, port);
  Exchange exchange;
  exchange.response.emplace(parser.release());
  co_return std::move(exchange);
}

net::awaitable<Exchange> HttpClient::State::exchange(HttpClientRequest& request, const HttpUrl& url,
                                                     const std::optional<HttpProxy>& via,
                                                     CallDeadline deadline) {
  const bool reused = can_reuse(url, via);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt > 0 || !reused) {
      if (auto failure = co_await connect(url, via, deadline, attempt > 0))
        co_return std::move(*failure);
    }
    boost::system::error_code ignored;
    const tcp::endpoint peer = transport()->socket().remote_endpoint(ignored);
    // (Not a conditional expression: GCC 12 miscompiles co_await inside one.)
    Exchange outcome;
    if (secure_stream)
      outcome = co_await send_and_receive(*secure_stream, request, deadline);
    else
      outcome = co_await send_and_receive(*plain_stream, request, deadline);
    outcome.peer = peer;
    // A kept-alive connection the server had closed: the request never reached it.
    if (!outcome.response && outcome.retryable && reused && attempt == 0 &&
        is_idempotent(request.method()))
      continue;
    if (!outcome.response || !outcome.response->keep_alive() || !request.keep_alive()) close();
    co_return std::move(outcome);
  }
  co_return failed("send", net::error::connection_reset);  // not reached: the loop returns
}

/// Runs the exchange as a task on the client's strand, then comes back to the caller's executor.
net::awaitable<Exchange> HttpClient::State::exchange_on_strand(HttpClientRequest& request,
                                                               const HttpUrl& url,
                                                               const std::optional<HttpProxy>& via,
                                                               CallDeadline deadline) {
  ContextSlot* task_slot = detail::active_task_slot_variable();
  const bool caller_is_task = task_slot != nullptr && task_slot->is_task_slot();
  auto work = exchange(request, url, via, deadline);
  Exchange outcome =
      co_await tachi_trace::co_spawn(executor, Context(), std::move(work), use_awaitable);
  // A caller outside any task was resumed inline inside the strand task's slot activation: a hop
  // through its own executor gives it back the thread's context.
  if (!caller_is_task) co_await net::post(co_await net::this_coro::executor, use_awaitable);
  co_return std::move(outcome);
}

HttpClient::HttpClient(net::any_io_executor executor, HttpClientOptions options)
    : state_(std::make_unique<State>()) {
  state_->executor = beast_support::make_connection_strand(executor);
  state_->options = std::move(options);
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

const HttpClientOptions& HttpClient::options() const noexcept {
  return state_->options;
}

void HttpClient::close() noexcept {
  state_->close();
}

net::awaitable<Expected<HttpClientResponse>> HttpClient::request(std::string url,
                                                                 HttpClientRequest request) {
  auto target = parse_client_url(url);
  if (!target) co_return target.error();
  if (target->url.secure) {
    auto prepared = state_->prepare_tls();
    if (!prepared)
      co_return Error{prepared.error().code, std::string(request.method_string()) + " " +
                                                 target->full + ": " + prepared.error().message};
  }
  const HttpClientOptions& options = state_->options;
  const std::optional<HttpProxy> proxy = options.proxies.for_url(target->url);
  prepare_request(request, *target, proxy);
  const Tracer& tracer = options.tracer ? *options.tracer : global_tracer();
  Span span = tracer.start_span(http_semantics::method_label(request.method_string()),
                                client_span_options(request, *target));
  inject_context(current_context().with_span(span), request,
                 options.propagator ? *options.propagator : global_propagator());
  Exchange outcome = co_await state_->exchange_on_strand(request, target->url, proxy,
                                                         call_deadline(options.timeout));
  record_exchange(span, request, outcome);
  if (!outcome.response) co_return exchange_error(request, *target, outcome, options.timeout);
  co_return std::move(*outcome.response);
}

net::awaitable<Expected<HttpClientResponse>> HttpClient::get(std::string url) {
  HttpClientRequest message(http::verb::get, "/", 11);
  return request(std::move(url), std::move(message));
}

net::awaitable<Expected<HttpClientResponse>> HttpClient::post(std::string url, std::string body,
                                                              std::string content_type) {
  HttpClientRequest message(http::verb::post, "/", 11);
  message.set(http::field::content_type, content_type);
  message.body() = std::move(body);
  return request(std::move(url), std::move(message));
}

net::awaitable<Expected<HttpClientResponse>> traced_http_request(std::string url,
                                                                 HttpClientRequest request,
                                                                 HttpClientOptions options) {
  HttpClient client(co_await net::this_coro::executor, std::move(options));
  auto call = client.request(std::move(url), std::move(request));
  auto result = co_await std::move(call);
  co_return result;
}

net::awaitable<Expected<HttpClientResponse>> traced_http_get(std::string url,
                                                             HttpClientOptions options) {
  HttpClientRequest request(http::verb::get, "/", 11);
  return traced_http_request(std::move(url), std::move(request), std::move(options));
}

net::awaitable<Expected<HttpClientResponse>> traced_http_post(std::string url, std::string body,
                                                              std::string content_type,
                                                              HttpClientOptions options) {
  HttpClientRequest request(http::verb::post, "/", 11);
  request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  return traced_http_request(std::move(url), std::move(request), std::move(options));
}

}  // namespace tachi_trace
