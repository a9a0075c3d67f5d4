// HTTP clients on Boost.Beast that carry the trace: a one-line injection into any outgoing Beast
// request, and a traced HTTP call that makes a CLIENT span.
//
//   namespace http = boost::beast::http;
//   namespace trace = tachi_trace;
//
//   trace::inject_current_context(outgoing_request);      // traceparent, baggage, ... (any client)
//
//   auto reply = co_await trace::traced_http_get("http://127.0.0.1:8081/api/specs/7");
//   if (!reply) log(reply.error().message);                // refused, timed out, bad URL ...
//   else if (reply->result() == http::status::ok) use(reply->body());
//
//   trace::HttpClient client(co_await net::this_coro::executor);   // keeps its connection alive
//   auto posted = co_await client.post("http://127.0.0.1:8081/api/runs", body, "application/json");
//
// A traced call starts a CLIENT span named `{METHOD}` (`HTTP` for methods outside the known set)
// whose parent is the current context, so `traced_backend_call("svc", "op", traced_http_get(url))`
// nests it under the backend span. It injects THAT span's context with the configured propagator
// (the global one unless given), so the callee's SERVER span is its child, and sets the attributes
// of the HTTP client semantic conventions: http.request.method (and method_original),
// server.address, server.port, url.full (user and password replaced by REDACTED, as are the values
// of the query keys AWSAccessKeyId, Signature, sig and X-Goog-Signature),
// network.peer.address/port, network.protocol.version, http.response.status_code, body sizes, and
// error.type. Status Error for 4xx and 5xx (client spans do, per the conventions), for connection
// failures and timeouts. The span starts before the connection is made and ends once the whole
// response has been read.
//
// error.type values: the status code ("404", "503"), `timeout`, `connection_refused`,
// `connection_reset` (the server closed or reset the connection), `host_not_found`,
// `tls_failure` (the TLS handshake failed: an untrusted certificate, one for another host, no
// common protocol version), `proxy_refused`, `response_too_large`, `malformed_response`,
// `cancelled`, or `_OTHER`.
//
// Results are values: an HTTP response whatever its status, or an `Error` (invalid_argument for a
// URL that is not `http[s]://host[:port][/path][?query]`, timed_out, io_failure) whose message
// names the method, the redacted URL and the reason. One timeout bounds the whole call: name
// lookup, connection, TLS handshake, request and response. Responses are read up to header and
// body limits. User information in a URL becomes a Basic Authorization header.
//
// https verifies the server's certificate, and that it is valid for the URL's host, against the
// system's CA store or the CA file of `HttpClientOptions::tls` (TLS 1.2 or later; a client
// certificate and key for mutual TLS); the host name is sent as SNI. A CA or key file that cannot
// be read is an error of the call (io_failure, naming the file), before any span starts. Clients
// with the same TLS settings share one TLS context, read again for the next connection once one
// of its files changes (the last good one serves while they cannot be read), and with it the TLS
// sessions of their servers: a new connection to a server offers the session of the last one there
// (once), so `traced_http_*` calls and reopened connections may skip most of the handshake.
//
// `HttpClient` keeps one connection open between calls to the same scheme, host and port and sends
// the next request on it. When a reused connection turns out closed by the server before any byte
// of the response came back, an idempotent request is sent once more on a new connection, inside
// the same span. One call at a time per client; the client must outlive its calls.
//
// Through a proxy (`HttpClientOptions::proxies`, proxy.hpp), an http call is sent to the proxy in
// absolute form with its credentials; an https call goes through a CONNECT tunnel and TLS with the
// server itself. network.peer.address is then the proxy's. A proxy that refuses the tunnel fails
// the call (io_failure naming the proxy and its answer, "407 Proxy Authentication Required"),
// error.type `proxy_refused`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "tachi_trace/config.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/tracer.hpp"
#include "tachi_trace/transport.hpp"

namespace tachi_trace {

/// Writes `context` into outgoing request headers with `propagator`.
void inject_context(const Context& context, boost::beast::http::fields& headers,
                    const TextMapPropagator& propagator = global_propagator());
/// Writes the current context (in a task: the task's) into outgoing request headers: call it
/// inside the CLIENT span of the outgoing call, so the callee's span becomes its child.
void inject_current_context(boost::beast::http::fields& headers,
                            const TextMapPropagator& propagator = global_propagator());

using HttpClientRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpClientResponse = boost::beast::http::response<boost::beast::http::string_body>;

struct HttpClientOptions {
  /// Bounds each call as a whole: lookup, connection, request and response (0: no limit).
  std::chrono::milliseconds timeout{30'000};
  /// Longest response status line and header block, in bytes.
  std::uint32_t response_header_limit = 64 * 1024;
  /// Longest response body, in bytes.
  std::uint64_t response_body_limit = 8 * 1024 * 1024;
  /// Writes the CLIENT span's context into the request; null: global_propagator(), at each call.
  PropagatorPointer propagator;
  /// Makes the CLIENT spans; empty: global_tracer(), at each call.
  std::optional<Tracer> tracer;
  /// For https URLs: trusted CAs (the system's store by default) and an optional client
  /// certificate. Read at a client's first https call.
  TlsSettings tls;
  /// The proxy each call goes through, by its URL (none by default).
  ProxySettings proxies;
};

/// Options from finalized configuration: the propagator of OTEL_PROPAGATORS, the proxies of
/// HTTPS_PROXY, HTTP_PROXY and NO_PROXY; the rest at their defaults.
HttpClientOptions http_client_options(const FinalizedTracingConfig& config);

/// A traced HTTP/1.1 client that keeps its connection alive between calls. See the header comment.
class HttpClient {
 public:
  /// Connections are made on `executor`.
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  /// Sends `request` to `url`: the method, body and headers are the request's; the target, Host
  /// and HTTP/1.1 come from the URL.
  boost::asio::awaitable<Expected<HttpClientResponse>> request(std::string url,
                                                               HttpClientRequest request);
  boost::asio::awaitable<Expected<HttpClientResponse>> get(std::string url);
  boost::asio::awaitable<Expected<HttpClientResponse>> post(std::string url, std::string body,
                                                            std::string content_type);
  /// Closes the kept-alive connection, if any (not while a call runs).
  void close() noexcept;

  const HttpClientOptions& options() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// One traced call on a connection of its own, on the awaiting coroutine's executor.
boost::asio::awaitable<Expected<HttpClientResponse>> traced_http_request(
    std::string url, HttpClientRequest request, HttpClientOptions options = {});
boost::asio::awaitable<Expected<HttpClientResponse>> traced_http_get(
    std::string url, HttpClientOptions options = {});
boost::asio::awaitable<Expected<HttpClientResponse>> traced_http_post(
    std::string url, std::string body, std::string content_type, HttpClientOptions options = {});

}  // namespace tachi_trace
