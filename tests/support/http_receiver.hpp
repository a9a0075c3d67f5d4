// A real HTTP/1.1 server on 127.0.0.1 for tests: it records every request and answers from a
// script, so a test can play a backend that accepts, refuses, throttles, hangs or talks nonsense.
//
//   tachi_trace::testing::HttpReceiver receiver;                  // port chosen by the system
//   receiver.add_response({.status = 503, .headers = {{"Retry-After", "1"}}});
//   ... send to receiver.url("/v1/traces") ...
//   REQUIRE(receiver.wait_for_requests(2, 5s));
//   auto requests = receiver.requests();                          // method, target, headers, body
//
// Scripted responses are used one per request, in order; when none is left, the default response
// (200, empty body, unless changed) answers. Bodies sent with Content-Encoding: gzip are recorded
// decompressed. With `Options::tls` the receiver speaks HTTPS, and with a client CA it requires
// and verifies client certificates. Everything stops when the receiver is destroyed, including
// connections that were told to hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/request_log.hpp"

namespace tachi_trace::testing {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

struct ReceivedRequest {
  std::string method;
  std::string target;
  HeaderPairs headers;  // as received, in order
  std::string body;     // decompressed when it came gzip-encoded
  std::size_t wire_body_size = 0;
  std::uint64_t connection = 0;  // which accepted connection carried it, counting from 1

  /// The first header of that name (case-insensitive), or "" when there is none.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct ScriptedResponse {
  enum class Action {
    respond,               // send the response below
    hang,                  // read the request, never answer (until the receiver stops)
    close_without_answer,  // close the connection at once
    send_garbage,          // write `body` as raw bytes (not HTTP), then close
  };

  unsigned status = 200;
  HeaderPairs headers;
  std::string body;
  std::string content_type;
  std::chrono::milliseconds delay{0};  // wait this long before acting
  Action action = Action::respond;
  bool close_connection = false;  // answer with Connection: close, then close

  static ScriptedResponse hang() { return {.action = Action::hang}; }
  static ScriptedResponse close_without_answer() {
    return {.action = Action::close_without_answer};
  }
  static ScriptedResponse garbage(std::string bytes) {
    return {.body = std::move(bytes), .action = Action::send_garbage};
  }
};

struct ReceiverTls {
  std::string certificate_chain_pem;
  std::string private_key_pem;
  std::string client_ca_pem;  // non-empty: require a client certificate signed by this CA
};

class HttpReceiver : public RecordedRequests<ReceivedRequest> {
 public:
  struct Options {
    std::optional<ReceiverTls> tls;
    std::uint16_t port = 0;  // 0: any free port
    std::size_t max_request_body_bytes = std::size_t{256} << 20;
  };

  HttpReceiver();
  explicit HttpReceiver(Options options);
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;
  ~HttpReceiver();

  std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port><path>" (https with TLS).
  std::string url(std::string_view path = "/") const;

  void add_response(ScriptedResponse response);
  void set_default_response(ScriptedResponse response);

  // requests(), request_count(), wait_for_requests(), connections_accepted(): RecordedRequests.
  /// TLS connections whose handshake resumed a session the client offered (no certificate sent).
  std::uint64_t tls_sessions_resumed() const;
  /// Closes every connection and stops the server thread. Idempotent.
  void stop();

  class State;

 private:
  std::shared_ptr<State> state_;
};

/// Decompresses a gzip body; nullopt when it is not valid gzip.
std::optional<std::string> gunzip(std::string_view compressed);

}  // namespace tachi_trace::testing
