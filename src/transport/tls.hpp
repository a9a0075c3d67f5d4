// TLS for the library's HTTP clients: the exporters' transport and HttpClient. Private.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "tachi_trace/error.hpp"
#include "tachi_trace/transport.hpp"

namespace tachi_trace::detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// A client context that verifies servers against `tls.ca_file` (the system's store when empty),
/// TLS 1.2 or later, with the client certificate when one is given. The error names the file
/// that could not be read.
Expected<std::unique_ptr<boost::asio::ssl::context>> make_tls_client_context(
    const TlsSettings& tls);

/// TLS sessions kept for resumption, one per server (host and port), offered when connecting to
/// it again: an abbreviated handshake, without the certificate chain and its verification, which
/// saves both sides most of a handshake's work. A session is offered only to the host and port it
/// came from, and must be used on streams of the context it came from (the cache's owner's). Safe
/// to use from any thread. At most `capacity` servers are kept; the one kept longest ago goes
/// first.
class TlsSessionCache {
 public:
  explicit TlsSessionCache(std::size_t capacity = 256) : capacity_(capacity) {}
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  /// Before the handshake with `host`:`port`: offers the session kept for it, taken out of the
  /// cache, as a server may expect each ticket to be used once.
  void offer(TlsStream& stream, const std::string& host, std::uint16_t port);
  /// After a response was read on `stream` (TLS 1.3 servers send their tickets after the
  /// handshake, so only then is the session resumable): keeps a copy of its newest session for
  /// `host`:`port`, unless that very session is kept already.
  void keep(TlsStream& stream, const std::string& host, std::uint16_t port);

 private:
  struct Release {
    void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
  };
  struct Kept {
    std::unique_ptr<SSL_SESSION, Release> copy;
    const SSL_SESSION* source = nullptr;  // the connection's session it copies
    std::uint64_t order = 0;              // when it was kept
  };

  const std::size_t capacity_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::uint16_t>, Kept> kept_;
  std::uint64_t next_order_ = 0;
};

/// A client context and the sessions of its connections.
struct TlsClientContext {
  std::unique_ptr<boost::asio::ssl::context> ssl;
  TlsSessionCache sessions;
};

/// A client context shared by every caller with equal settings (a context serves many
/// connections, on any threads, once made), so a client made per call neither reads its files
/// again nor loses the TLS sessions of earlier calls. The files are read again once one of them
/// changed (another size, modification time or inode, or gone); for the system's store, its
/// default file and directory are watched. Callers holding an older context keep it.
Expected<std::shared_ptr<TlsClientContext>> shared_tls_client_context(const TlsSettings& tls);

/// Before a new connection: makes `context` the shared context of `tls` as its files are now (a
/// certificate rotated since the last connection is then used), or leaves the one it holds, the
/// last that loaded, while the files cannot be read. `context` must hold one already.
void refresh_tls_client_context(std::shared_ptr<TlsClientContext>& context, const TlsSettings& tls);

/// Before the handshake: names `host` to the server (SNI, unless it is an address) and makes the
/// handshake fail unless the server's certificate is valid for `host`.
void expect_server(TlsStream& stream, const std::string& host);

bool is_ip_literal(const std::string& host);

}  // namespace tachi_trace::detail
