// The HTTP(S) client the exporters send through: one keep-alive connection, retries, gzip.
//
//   auto transport = tachi_trace::HttpTransport::create({.url = *tachi_trace::parse_http_url(
//                                                            "http://collector:4318/v1/traces")});
//   auto result = (*transport)->post("application/x-protobuf", body, deadline);
//   if (!result.delivered()) log(result.reason);
//
// `post` sends one HTTP/1.1 POST and waits for the answer. It retries as the OTLP specification
// asks: connection failures and the statuses 429, 502, 503 and 504 are tried again after an
// exponential backoff with random jitter, or after the server's Retry-After (seconds or an HTTP
// date) when it gives one; every other status is final. Nothing outlasts the deadline: a retry
// that could not start before it is not made. Response bodies are read up to a limit (4 MiB by
// default); a longer one fails the request without retry.
//
// https URLs verify the server's certificate and host name against the system's CA store, or a
// CA file of your own; a client certificate and key can be given for mutual TLS. The connection is
// kept alive between requests and reopened when the server closed it, resuming the TLS session of
// the connection before (an abbreviated handshake) when the server allows it.
//
// With a `proxy` (proxy.hpp), every connection goes to the proxy: http requests in absolute form
// with its credentials, https ones through a CONNECT tunnel, TLS end to end with the server. A
// proxy that refuses the tunnel fails the post with its answer ("407 Proxy Authentication
// Required"), which is final, except 502, 503 and 504 (it could not reach the server), retried.
//
// One thread at a time may call `post`; `cancel` may be called from any thread, at any time, and
// makes a running `post` return promptly (and every later one at once). Header values are never
// written into results or diagnostics: they often hold API keys.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tachi_trace/error.hpp"
#include "tachi_trace/proxy.hpp"
#include "tachi_trace/url.hpp"

namespace tachi_trace {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Time as the transport's retries see it: the clock that deadlines are measured on, the wall
/// clock that Retry-After dates are read against, and the wait between attempts. Tests inject a
/// fake that records the waits and returns at once.
class TransportClock {
 public:
  virtual ~TransportClock() = default;
  virtual std::chrono::steady_clock::time_point now() const noexcept = 0;
  virtual std::chrono::system_clock::time_point wall_now() const noexcept = 0;
  /// Waits until `wake_time` on this clock. Returns false, early, once `interrupt` was called.
  virtual bool sleep_until(std::chrono::steady_clock::time_point wake_time) noexcept = 0;
  /// From any thread: ends a running `sleep_until` and makes every later one return false at once.
  virtual void interrupt() noexcept = 0;
};

/// The real clocks; `sleep_until` blocks the calling thread.
std::shared_ptr<TransportClock> make_system_transport_clock();

struct RetryPolicy {
  std::uint32_t max_attempts = 5;  // the first try included; 1 turns retries off
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_multiplier = 1.5;
  // Each wait is drawn uniformly from [backoff / 2, backoff], so clients that failed together do
  // not come back together.
};

struct TlsSettings {
  std::string ca_file;  // PEM file of trusted CA certificates; empty: the system's store
  std::string client_certificate_file;  // PEM, for mutual TLS; needs client_key_file too
  std::string client_key_file;
};

struct HttpTransportSettings {
  HttpUrl url;
  HttpHeaders headers;             // added to every request; their values are never logged
  bool gzip = false;               // compress request bodies (Content-Encoding: gzip)
  TlsSettings tls;                 // used for https URLs only
  std::optional<HttpProxy> proxy;  // none: connect to the URL's host
  RetryPolicy retry;
  std::size_t max_response_body_bytes = std::size_t{4} << 20;
  std::shared_ptr<TransportClock> clock;  // null: the system clocks
};

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string retry_after;  // the Retry-After header as received, if any
  std::string body;         // at most max_response_body_bytes
};

struct TransportResult {
  enum class Outcome : std::uint8_t {
    delivered,  // a 2xx answer
    refused,    // a final non-2xx answer (a 4xx other than 429, a 5xx other than 502-504, 3xx)
    gave_up,    // retryable failures until the deadline or the last attempt
    failed,     // a problem retrying cannot fix: TLS verification, a response that is not HTTP
                // or is over the size limit
    cancelled,  // `cancel` was called
  };

  Outcome outcome = Outcome::failed;
  HttpResponse response;  // the last answer received (status 0 when there was none)
  std::string reason;     // why it was not delivered; empty when delivered
  std::uint32_t attempts = 0;

  bool delivered() const noexcept { return outcome == Outcome::delivered; }
};

class HttpTransport {
 public:
  /// Checks the settings (header names and values, TLS files) and prepares the client; connects
  /// lazily, on the first `post`.
  static Expected<std::unique_ptr<HttpTransport>> create(HttpTransportSettings settings);

  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;
  ~HttpTransport();

  /// POSTs `body` with `content_type` to the URL, retrying as described above, and returns by
  /// `deadline` (measured on the transport's clock). Never throws.
  TransportResult post(std::string_view content_type, std::string_view body,
                       std::chrono::steady_clock::time_point deadline) noexcept;

  /// From any thread: abandons the running `post` (it returns `cancelled` promptly) and refuses
  /// every later one. Used when a pipeline runs out of time at shutdown.
  void cancel() noexcept;

  /// Closes the connection (the next `post` opens a new one).
  void close() noexcept;

  /// Connections opened so far: with keep-alive, one for many requests.
  std::uint64_t connections_opened() const noexcept;

 private:
  class Implementation;
  explicit HttpTransport(std::unique_ptr<Implementation> implementation);
  std::unique_ptr<Implementation> implementation_;
};

std::string_view to_string(TransportResult::Outcome outcome) noexcept;

/// The User-Agent the transport sends: "tachi_trace/<version>".
std::string_view transport_user_agent() noexcept;

}  // namespace tachi_trace
