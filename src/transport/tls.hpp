// TLS for the library's HTTP clients: the exporters' transport and HttpClient. Private.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "tachi_trace/error.hpp"
#include "tachi_trace/transport.hpp"

namespace tachi_trace::detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// A client context that verifies servers against `tls.ca_file` (the system's store when empty),
/// TLS 1.2 or later, with the client certificate when one is given. The error names the file
/// that could not be read.
Expected<std::unique_ptr<boost::asio::ssl::context>> make_tls_client_context(
    const TlsSettings& tls);

/// The same, shared: callers with equal settings get one context while any of them holds it (a
/// context serves many connections, on any threads, once made), so a client made per call does not
/// read its CA file each time. Once the last holder lets go, the files are read afresh.
Expected<std::shared_ptr<boost::asio::ssl::context>> shared_tls_client_context(
    const TlsSettings& tls);

/// Before the handshake: names `host` to the server (SNI, unless it is an address) and makes the
/// handshake fail unless the server's certificate is valid for `host`.
void expect_server(TlsStream& stream, const std::string& host);

bool is_ip_literal(const std::string& host);

/// The TLS session of the last connection to one server, offered when connecting to it again so
/// that it may be resumed: an abbreviated handshake, without the certificate chain and its
/// verification, which saves both sides most of a handshake's work. A session is offered only to
/// the host and port it came from, and on a stream of the context it came from (the caller's).
class TlsSessionKeeper {
 public:
  /// Before the handshake with `host`:`port`.
  void offer(TlsStream& stream, const std::string& host, std::uint16_t port);
  /// After a response was read on `stream` (TLS 1.3 servers send their tickets after the
  /// handshake, so only then is the session resumable). Copies it once per connection.
  void keep(TlsStream& stream, const std::string& host, std::uint16_t port);

 private:
  struct Release {
    void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
  };
  std::unique_ptr<SSL_SESSION, Release> session_;
  std::string host_;
  std::uint16_t port_ = 0;
  bool kept_since_offer_ = false;  // the connection's session is the one held
};

}  // namespace tachi_trace::detail
