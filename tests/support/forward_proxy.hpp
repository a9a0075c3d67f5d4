// A real HTTP forward proxy on 127.0.0.1 for tests: it opens CONNECT tunnels and forwards
// absolute-form requests, recording every request before acting on it, so a test can check that a
// client goes through a proxy, authenticates to it, and copes with one that refuses or hangs.
//
//   tachi_trace::testing::HttpReceiver origin;
//   tachi_trace::testing::ForwardProxy proxy({.required_authorization = "Basic dTpw"});
//   ... send to origin.url("/v1/traces") through proxy.url() ...
//   REQUIRE(proxy.wait_for_requests(1, 5s));
//   auto requests = proxy.requests();  // method, target as sent, Host, Proxy-Authorization
//
// `CONNECT host:port` is answered 200 once the proxy reached host:port, and bytes are then relayed
// both ways until either side closes (a half-close ends the tunnel too). `GET http://host:port/p`
// goes to the origin as `GET /p` with every header but Proxy-Authorization and Proxy-Connection,
// over one upstream connection per client connection, kept while the client asks for the same
// host:port. An origin that cannot be reached, or fails before answering, is answered 502 by the
// proxy. Everything stops when the proxy is destroyed, tunnels and hanging CONNECTs included.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/request_log.hpp"
#include "tachi_trace/proxy.hpp"

namespace tachi_trace::testing {

struct ProxiedRequest {
  std::string method;
  std::string target;  // as received: "host:port" for CONNECT, "http://host:port/path" otherwise
  std::string host_header;
  std::string proxy_authorization;  // "" when there was none
  std::uint64_t connection = 0;     // which accepted client connection carried it, counting from 1
};

class ForwardProxy : public RecordedRequests<ProxiedRequest> {
 public:
  struct Options {
    std::uint16_t port = 0;  // 0: any free port
    // Set: a request whose Proxy-Authorization is not exactly this ("Basic dTpw") is answered 407
    // with Proxy-Authenticate: Basic realm="test-proxy", and the connection stays open.
    std::optional<std::string> required_authorization;
    // Set: CONNECT is answered with this status (403, 502...) instead of a tunnel, then closed.
    std::optional<unsigned> connect_status;
    // CONNECT is recorded but never answered (until the proxy stops).
    bool hang_on_connect = false;
  };

  ForwardProxy();
  explicit ForwardProxy(Options options);
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;
  ~ForwardProxy();

  std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port>", as a client's proxy setting.
  std::string url() const;

  // requests(), request_count(), wait_for_requests(), connections_accepted(): RecordedRequests.
  /// Closes every connection (client and upstream, tunnels included) and stops the proxy thread.
  /// Idempotent; the records stay readable.
  void stop();

  class State;

 private:
  std::shared_ptr<State> state_;
};

/// `proxy` as a client's setting, with credentials when `user_information` ("user:password") is
/// given.
HttpProxy proxy_setting(const ForwardProxy& proxy, std::string_view user_information = "");

}  // namespace tachi_trace::testing
