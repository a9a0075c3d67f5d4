// TLS for the library's HTTP clients: the exporters' transport and HttpClient. Private.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
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

}  // namespace tachi_trace::detail
