#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <type_traits>

#include "connection_loss.hpp"
#include "proxy_tunnel.hpp"
#include "tls.hpp"

namespace tachi_trace::detail {

namespace {

constexpr auto as_result = net::as_tuple(net::use_awaitable);
using boost::system::error_code;

ExchangeResult failure(ExchangeResult::Failure kind, std::string reason) {
  ExchangeResult result;
  result.failure = kind;
  result.reason = std::move(reason);
  return result;
}

}  // namespace

Connection::Connection(net::io_context& io, const HttpUrl& url, std::optional<HttpProxy> proxy,
                       std::shared_ptr<TlsClientContext> tls, TlsSettings tls_settings,
                       std::size_t max_response_body_bytes)
    : io_(io),
      url_(url),
      proxy_(std::move(proxy)),
      peer_(proxy_ ? "the proxy " + proxy_->authority() : url_.host_header()),
      tls_settings_(std::move(tls_settings)),
      tls_(std::move(tls)),
      max_response_body_bytes_(max_response_body_bytes) {}

net::awaitable<ExchangeResult> Connection::exchange(const OutgoingRequest& request,
                                                    RealDeadline deadline) {
  if (aborted_)
    co_return failure(ExchangeResult::Failure::cancelled, "the transport was cancelled");
  const bool reused = is_open();
  if (!reused) {
    if (auto opening_failure = co_await open(deadline)) {
      close();
      co_return std::move(*opening_failure);
    }
  }
  // (Not a conditional expression: GCC 12 miscompiles co_await inside one.)
  ExchangeResult result;
  if (secure_)
    result = co_await round_trip(*secure_, request, deadline, reused);
  else
    result = co_await round_trip(*plain_, request, deadline, reused);
  if (aborted_) result = failure(ExchangeResult::Failure::cancelled, "the transport was cancelled");
  co_return result;
}

net::awaitable<std::optional<ExchangeResult>> Connection::open(RealDeadline deadline) {
  close();
  if (auto connect_failure = co_await connect(deadline)) co_return connect_failure;
  ++opened_;
  if (secure_ && proxy_) {
    if (auto tunnel_failure = co_await tunnel(deadline)) co_return tunnel_failure;
  }
  if (secure_) co_return co_await handshake(deadline);
  co_return std::nullopt;
}

net::awaitable<std::optional<ExchangeResult>> Connection::connect(RealDeadline deadline) {
  net::ip::tcp::resolver::results_type endpoints;
  if (auto resolve_failure = co_await resolve(deadline, endpoints)) co_return resolve_failure;
  if (url_.secure) {
    refresh_tls_client_context(tls_, tls_settings_);
    secure_.emplace(io_, *tls_->ssl);
  } else {
    plain_.emplace(io_);
  }
  lowest_layer().expires_at(deadline);
  auto [error, endpoint] = co_await lowest_layer().async_connect(endpoints, as_result);
  if (error) {
    co_return network_failure(error, "could not connect to " + peer_);
  }
  lowest_layer().socket().set_option(net::ip::tcp::no_delay(true), error);
  co_return std::nullopt;
}

net::awaitable<std::optional<ExchangeResult>> Connection::resolve(
    RealDeadline deadline, net::ip::tcp::resolver::results_type& out) {
  const std::string& host = proxy_ ? proxy_->host : url_.host;
  const std::uint16_t port = proxy_ ? proxy_->port : url_.port;
  if (is_ip_literal(host)) {
    // An address needs no lookup (and no lookup thread).
    out = net::ip::tcp::resolver::results_type::create(
        net::ip::tcp::endpoint(net::ip::make_address(host), port), host, std::to_string(port));
    co_return std::nullopt;
  }
  auto lookup = lookup_.resolve(host, port, deadline);
  switch (lookup.status) {
    case HostLookup::Outcome::Status::found:
      out = std::move(lookup.endpoints);
      co_return std::nullopt;
    case HostLookup::Outcome::Status::interrupted:
      co_return failure(ExchangeResult::Failure::cancelled, "the transport was cancelled");
    case HostLookup::Outcome::Status::timed_out:
      co_return failure(ExchangeResult::Failure::timed_out,
                        "looking up " + host + " took longer than the export deadline");
    case HostLookup::Outcome::Status::failed:
      break;
  }
  co_return network_failure(lookup.error, "could not look up " + host);
}

net::awaitable<std::optional<ExchangeResult>> Connection::tunnel(RealDeadline deadline) {
  lowest_layer().expires_at(deadline);
  const TunnelOutcome outcome = co_await open_proxy_tunnel(lowest_layer(), *proxy_, url_);
  switch (outcome.status) {
    case TunnelOutcome::Status::open:
      co_return std::nullopt;
    case TunnelOutcome::Status::refused:
      co_return failure(
          outcome.retryable() ? ExchangeResult::Failure::retryable : ExchangeResult::Failure::final,
          peer_ + " refused the tunnel to " + url_.authority() + ": " + outcome.refusal());
    case TunnelOutcome::Status::failed:
      break;
  }
  co_return network_failure(outcome.error, peer_ + " did not open a tunnel to " + url_.authority());
}

net::awaitable<std::optional<ExchangeResult>> Connection::handshake(RealDeadline deadline) {
  expect_server(*secure_, url_.host);
  tls_->sessions.offer(*secure_, url_.host, url_.port);
  lowest_layer().expires_at(deadline);
  auto [error] = co_await secure_->async_handshake(net::ssl::stream_base::client, as_result);
  if (!error) co_return std::nullopt;
  if (error.category() == net::error::get_ssl_category()) {
    co_return failure(
        ExchangeResult::Failure::final,
        "the TLS handshake with " + url_.host_header() + " failed: " + error.message());
  }
  co_return network_failure(error, "the TLS handshake with " + url_.host_header() + " failed");
}

template <typename Stream>
net::awaitable<ExchangeResult> Connection::round_trip(Stream& stream,
                                                      const OutgoingRequest& request,
                                                      RealDeadline deadline, bool reused) {
  lowest_layer().expires_at(deadline);
  auto [write_error, written] = co_await http::async_write(stream, request, as_result);
  if (write_error) {
    ExchangeResult result = network_failure(write_error, "sending the request failed");
    result.stale_connection = reused && is_connection_loss(write_error);
    close();
    co_return result;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_body_bytes_);
  auto [read_error, read] = co_await http::async_read(stream, buffer_, parser, as_result);
  if (read_error) {
    ExchangeResult result = read_failure(read_error, parser.got_some(), reused);
    close();
    co_return result;
  }
  auto& message = parser.get();
  ExchangeResult result;
  result.response.status = message.result_int();
  result.response.content_type = std::string(message[http::field::content_type]);
  result.response.retry_after = std::string(message[http::field::retry_after]);
  result.response.body = std::move(message.body());
  if constexpr (std::is_same_v<Stream, TlsStream>)
    tls_->sessions.keep(stream, url_.host, url_.port);
  if (!message.keep_alive()) close();
  co_return result;
}

ExchangeResult Connection::read_failure(const error_code& error, bool got_some, bool reused) const {
  if (error == http::error::body_limit) {
    return failure(ExchangeResult::Failure::final,
                   "the response body is longer than the limit of " +
                       std::to_string(max_response_body_bytes_) + " bytes");
  }
  if (error.category() == make_error_code(http::error::end_of_stream).category() &&
      !is_connection_loss(error)) {
    return failure(
        ExchangeResult::Failure::final,
        "the answer from " + url_.host_header() + " is not valid HTTP (" + error.message() + ")");
  }
  ExchangeResult result =
      network_failure(error, got_some ? "the connection closed in the middle of the response"
                                      : "the connection closed before any response");
  result.stale_connection = reused && !got_some && is_connection_loss(error);
  return result;
}

ExchangeResult Connection::network_failure(const error_code& error, std::string what) const {
  if (aborted_) return failure(ExchangeResult::Failure::cancelled, "the transport was cancelled");
  if (error == beast::error::timeout) {
    return failure(ExchangeResult::Failure::timed_out,
                   "no response from " + peer_ + " before the export deadline");
  }
  return failure(ExchangeResult::Failure::retryable, what + ": " + error.message());
}

void Connection::abort() noexcept {
  aborted_ = true;
  // Only the socket is closed here: a suspended exchange still refers to the stream objects, and
  // resets them itself once it resumes with the cancellation.
  if (plain_ || secure_) {
    error_code ignored;
    lowest_layer().socket().close(ignored);
  }
}

void Connection::close() noexcept {
  if (plain_ || secure_) {
    error_code ignored;
    lowest_layer().socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    lowest_layer().close();
  }
  plain_.reset();
  secure_.reset();
  buffer_.clear();
}

beast::tcp_stream& Connection::lowest_layer() noexcept {
  return secure_ ? beast::get_lowest_layer(*secure_) : *plain_;
}

bool Connection::is_open() noexcept {
  return (plain_ || secure_) && lowest_layer().socket().is_open();
}

}  // namespace tachi_trace::detail
