// One HTTP/1.1 connection, plain or TLS, and one request/response exchange over it. Private.
//
// Everything here runs on the transport's io_context, driven by the thread that calls
// HttpTransport::post; `abort` is posted to that context by `cancel` from another thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "host_lookup.hpp"
#include "tachi_trace/transport.hpp"
#include "tls.hpp"

namespace tachi_trace::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using OutgoingRequest = http::request<http::span_body<const char>>;
using RealDeadline = std::chrono::steady_clock::time_point;

struct ExchangeResult {
  enum class Failure : std::uint8_t {
    none,       // `response` holds the answer
    retryable,  // could not connect, or the connection broke: another attempt may succeed
    final,      // retrying cannot help (TLS verification, not HTTP, over the size limit)
    timed_out,  // the deadline passed
    cancelled,  // abort() was called
  };

  Failure failure = Failure::none;
  HttpResponse response;
  std::string reason;
  // A connection kept from an earlier request failed before any answer: the server most likely
  // closed it while idle, so the request deserves a fresh connection at once, without backoff.
  bool stale_connection = false;
};

class Connection {
 public:
  /// For https URLs, `tls` is the context made from `tls_settings` (non-null); each new connection
  /// takes the context of the settings' files as they are then (shared_tls_client_context), so a
  /// rotated certificate is used without a restart, and keeps the one it had while they cannot be
  /// read. With a `proxy`, the connection goes to it, and for https on through a CONNECT tunnel;
  /// requests for http must then have the absolute form (proxied_target) and the proxy's
  /// credentials.
  Connection(net::io_context& io, const HttpUrl& url, std::optional<HttpProxy> proxy,
             std::shared_ptr<TlsClientContext> tls, TlsSettings tls_settings,
             std::size_t max_response_body_bytes);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Sends `request` and reads the answer, by `deadline`; opens the connection first when needed.
  net::awaitable<ExchangeResult> exchange(const OutgoingRequest& request, RealDeadline deadline);

  /// Abandons what is running (it completes as `cancelled`) and refuses later exchanges. Runs on
  /// the io_context's thread.
  void abort() noexcept;
  /// From any thread: ends a host lookup being waited for, and refuses later ones. (A lookup
  /// blocks the io_context's thread, so `abort` could not run during one.)
  void interrupt_lookup() noexcept { lookup_.interrupt(); }
  void close() noexcept;
  std::uint64_t opened() const noexcept { return opened_; }

 private:
  net::awaitable<std::optional<ExchangeResult>> open(RealDeadline deadline);
  net::awaitable<std::optional<ExchangeResult>> connect(RealDeadline deadline);
  net::awaitable<std::optional<ExchangeResult>> resolve(RealDeadline deadline,
                                                        net::ip::tcp::resolver::results_type& out);
  net::awaitable<std::optional<ExchangeResult>> tunnel(RealDeadline deadline);
  net::awaitable<std::optional<ExchangeResult>> handshake(RealDeadline deadline);
  template <typename Stream>
  net::awaitable<ExchangeResult> round_trip(Stream& stream, const OutgoingRequest& request,
                                            RealDeadline deadline, bool reused);
  ExchangeResult read_failure(const boost::system::error_code& error, bool got_some,
                              bool reused) const;
  ExchangeResult network_failure(const boost::system::error_code& error, std::string what) const;
  beast::tcp_stream& lowest_layer() noexcept;
  bool is_open() noexcept;

  net::io_context& io_;
  const HttpUrl url_;
  const std::optional<HttpProxy> proxy_;
  const std::string peer_;  // where the connection goes, for messages: the server or the proxy
  const TlsSettings tls_settings_;
  std::shared_ptr<TlsClientContext> tls_;  // outlives secure_, which is reset before it changes
  const std::size_t max_response_body_bytes_;
  HostLookup lookup_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<TlsStream> secure_;
  beast::flat_buffer buffer_;
  bool aborted_ = false;
  std::uint64_t opened_ = 0;
};

}  // namespace tachi_trace::detail
