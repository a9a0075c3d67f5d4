// The CONNECT request that makes an HTTP proxy open a tunnel to an https server. Private; shared by
// the exporters' transport and HttpClient.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string>

#include "tachi_trace/proxy.hpp"
#include "tachi_trace/url.hpp"

namespace tachi_trace::detail {

struct TunnelOutcome {
  enum class Status : std::uint8_t {
    open,     // the stream now reaches the server
    refused,  // the proxy answered `status_code`, not 2xx
    failed,   // `error` while writing or reading (the stream's expiry included)
  };
  Status status = Status::failed;
  unsigned status_code = 0;
  std::string reason_phrase;
  boost::system::error_code error;

  /// The proxy's refusal, for messages: "407 Proxy Authentication Required".
  std::string refusal() const;
  /// Whether another attempt may succeed: the proxy could not reach the server (502, 503, 504).
  bool retryable() const noexcept;
};

/// Asks the proxy, connected through `stream`, for a tunnel to `server`'s host and port, with the
/// proxy's credentials. Times out with the stream's expiry, which the caller sets.
boost::asio::awaitable<TunnelOutcome> open_proxy_tunnel(boost::beast::tcp_stream& stream,
                                                        const HttpProxy& proxy,
                                                        const HttpUrl& server);

/// The request target of a request sent to `proxy` for `url`: the absolute form for http, the
/// URL's own target otherwise (a tunnel reaches the server itself).
std::string proxied_target(const HttpUrl& url);

}  // namespace tachi_trace::detail
