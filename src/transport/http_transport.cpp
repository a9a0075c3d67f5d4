#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include "connection.hpp"
#include "gzip.hpp"
#include "proxy_tunnel.hpp"
#include "retry.hpp"
#include "tachi_trace/version.hpp"
#include "tls.hpp"

namespace tachi_trace {

namespace detail {
namespace {

constexpr std::size_t kept_buffer_capacity = std::size_t{16} << 20;

bool is_token_character(char character) {
  const auto byte = static_cast<unsigned char>(character);
  if (byte >= 'a' && byte <= 'z') return true;
  if (byte >= 'A' && byte <= 'Z') return true;
  if (byte >= '0' && byte <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(character) != std::string_view::npos;
}

bool is_valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_character);
}

bool is_valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char character) {
    return character == '\r' || character == '\n' || character == '\0';
  });
}

// Headers the transport itself must control, or the message would not be framed as sent.
bool is_reserved_header(std::string_view name) {
  static constexpr std::string_view reserved[] = {
      "host",      "content-length", "content-type", "content-encoding", "transfer-encoding",
      "connection"};
  return std::any_of(std::begin(reserved), std::end(reserved),
                     [&](std::string_view candidate) { return beast::iequals(candidate, name); });
}

// Positions are 1-based, as people count entries; values are never shown.
Expected<bool> check_headers(const HttpHeaders& headers) {
  for (std::size_t index = 0; index < headers.size(); ++index) {
    const auto& [name, value] = headers[index];
    const std::string position = "header " + std::to_string(index + 1);
    if (!is_valid_header_name(name))
      return Error{Error::Code::invalid_configuration,
                   position + " has an invalid name (expected an HTTP token)"};
    if (!is_valid_header_value(value))
      return Error{Error::Code::invalid_configuration,
                   position + " (\"" + name + "\") has a value with a line break or NUL"};
    if (is_reserved_header(name))
      return Error{Error::Code::invalid_configuration,
                   position + " (\"" + name + "\") is set by the transport itself"};
  }
  return true;
}

// The URL as diagnostics show it: without the query, which sometimes carries credentials.
std::string describe_url(const HttpUrl& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  return (url.secure ? "https://" : "http://") + url.host_header() + path;
}

}  // namespace
}  // namespace detail

class HttpTransport::Implementation {
 public:
  Implementation(HttpTransportSettings settings, std::shared_ptr<detail::TlsClientContext> tls)
      : settings_(std::move(settings)),
        clock_(settings_.clock ? settings_.clock : make_system_transport_clock()),
        connection_(io_, settings_.url, settings_.proxy, std::move(tls), settings_.tls,
                    settings_.max_response_body_bytes),
        url_text_(detail::describe_url(settings_.url)) {
    prepare_request();
  }

  TransportResult post(std::string_view content_type, std::string_view body,
                       std::chrono::steady_clock::time_point deadline) noexcept;
  void cancel() noexcept;
  void close() noexcept;
  std::uint64_t connections_opened() const noexcept { return opened_.load(); }

 private:
  void prepare_request();
  bool set_body(std::string_view content_type, std::string_view body, std::string& reason);
  detail::ExchangeResult exchange(std::chrono::steady_clock::time_point deadline);
  detail::ExchangeResult exchange_once(std::chrono::steady_clock::time_point deadline);
  bool judge(const detail::ExchangeResult& exchange, TransportResult& result) const;
  bool wait_before_retry(const detail::ExchangeResult& exchange, detail::Backoff& backoff,
                         std::chrono::steady_clock::time_point deadline, TransportResult& result);
  TransportResult finish(TransportResult result);

  const HttpTransportSettings settings_;
  const std::shared_ptr<TransportClock> clock_;
  detail::net::io_context io_{1};
  detail::Connection connection_;
  const std::string url_text_;
  detail::OutgoingRequest request_;
  detail::GzipCompressor gzip_;
  std::string compressed_;
  std::minstd_rand random_{std::random_device{}()};
  std::atomic<bool> cancelled_{false};
  std::atomic<std::uint64_t> opened_{0};
};

void HttpTransport::Implementation::prepare_request() {
  namespace http = detail::http;
  request_.method(http::verb::post);
  const bool through_proxy = settings_.proxy && !settings_.url.secure;
  request_.target(through_proxy ? detail::proxied_target(settings_.url) : settings_.url.target);
  request_.version(11);
  request_.set(http::field::host, settings_.url.host_header());
  request_.set(http::field::user_agent, transport_user_agent());
  request_.set(http::field::accept, "*/*");
  for (const auto& [name, value] : settings_.headers)
    request_.set(name, value);
  if (settings_.gzip) request_.set(http::field::content_encoding, "gzip");
  // Through a tunnel the credentials went with CONNECT: the server must not see them.
  if (through_proxy && !settings_.proxy->username.empty())
    request_.set(http::field::proxy_authorization, settings_.proxy->authorization());
}

bool HttpTransport::Implementation::set_body(std::string_view content_type, std::string_view body,
                                             std::string& reason) {
  if (settings_.gzip) {
    if (!gzip_.compress(body, compressed_, reason)) return false;
    body = compressed_;
  }
  request_.set(detail::http::field::content_type, content_type);
  request_.body() = boost::span<const char>(body.data(), body.size());
  request_.prepare_payload();
  return true;
}

TransportResult HttpTransport::Implementation::post(
    std::string_view content_type, std::string_view body,
    std::chrono::steady_clock::time_point deadline) noexcept {
  TransportResult result;
  try {
    if (!set_body(content_type, body, result.reason)) return finish(std::move(result));
    detail::Backoff backoff(settings_.retry, random_);
    while (true) {
      if (cancelled_.load()) {
        result.outcome = TransportResult::Outcome::cancelled;
        result.reason = "the transport was cancelled";
        return finish(std::move(result));
      }
      ++result.attempts;
      detail::ExchangeResult exchange_result = exchange(deadline);
      if (judge(exchange_result, result)) return finish(std::move(result));
      if (!wait_before_retry(exchange_result, backoff, deadline, result))
        return finish(std::move(result));
    }
  } catch (const std::exception& error) {
    result.outcome = TransportResult::Outcome::failed;
    result.reason = std::string("unexpected error: ") + error.what();
  }
  return finish(std::move(result));
}

// Decides whether `exchange` ends the post; fills `result` either way.
bool HttpTransport::Implementation::judge(const detail::ExchangeResult& exchange,
                                          TransportResult& result) const {
  using Failure = detail::ExchangeResult::Failure;
  using Outcome = TransportResult::Outcome;
  result.reason = exchange.reason;
  switch (exchange.failure) {
    case Failure::cancelled:
      result.outcome = Outcome::cancelled;
      return true;
    case Failure::final:
      result.outcome = Outcome::failed;
      return true;
    case Failure::timed_out:
      result.outcome = Outcome::gave_up;
      return true;
    case Failure::retryable:
      result.outcome = Outcome::gave_up;
      return false;
    case Failure::none:
      break;
  }
  result.response = exchange.response;
  const unsigned status = exchange.response.status;
  if (status >= 200 && status < 300) {
    result.outcome = Outcome::delivered;
    result.reason.clear();
    return true;
  }
  const auto status_text = detail::http::obsolete_reason(static_cast<detail::http::status>(status));
  result.reason = "the server answered " + std::to_string(status) +
                  (status_text.empty() ? "" : " " + std::string(status_text));
  result.outcome = detail::is_retryable_status(status) ? Outcome::gave_up : Outcome::refused;
  return result.outcome == Outcome::refused;
}

// Waits for the next attempt; false (with `result` saying why) when there will be none.
bool HttpTransport::Implementation::wait_before_retry(
    const detail::ExchangeResult& exchange, detail::Backoff& backoff,
    std::chrono::steady_clock::time_point deadline, TransportResult& result) {
  if (result.attempts >= settings_.retry.max_attempts) return false;
  std::optional<std::chrono::nanoseconds> wait;
  if (!exchange.response.retry_after.empty())
    wait = detail::parse_retry_after(exchange.response.retry_after, clock_->wall_now());
  const bool server_asked = wait.has_value();
  if (!wait) wait = backoff.next();
  const auto wake_time = clock_->now() + *wait;
  if (wake_time >= deadline) {
    result.reason += server_asked ? "; the server asked to retry after " +
                                        detail::describe_wait(*wait) + ", past the deadline"
                                  : "; no time is left before the deadline for another attempt";
    return false;
  }
  if (!clock_->sleep_until(wake_time)) {
    result.outcome = TransportResult::Outcome::cancelled;
    result.reason = "the transport was cancelled";
    return false;
  }
  return true;
}

TransportResult HttpTransport::Implementation::finish(TransportResult result) {
  // A rare huge body is not worth keeping memory for.
  if (compressed_.capacity() > detail::kept_buffer_capacity) std::string().swap(compressed_);
  if (!result.delivered() && !result.reason.empty())
    result.reason = "POST " + url_text_ + ": " + result.reason;
  return result;
}

detail::ExchangeResult HttpTransport::Implementation::exchange(
    std::chrono::steady_clock::time_point deadline) {
  detail::ExchangeResult result = exchange_once(deadline);
  // An idle kept-alive connection the server has closed fails at once; that is no reason to
  // wait: one immediate try on a fresh connection.
  if (result.stale_connection && !cancelled_.load()) result = exchange_once(deadline);
  return result;
}

detail::ExchangeResult HttpTransport::Implementation::exchange_once(
    std::chrono::steady_clock::time_point deadline) {
  // Deadlines are on the transport's clock (perhaps a test's fake); sockets time out on the
  // real one, after the same remaining time.
  const auto remaining = std::max(deadline - clock_->now(), std::chrono::nanoseconds(0));
  const auto real_deadline = std::chrono::steady_clock::now() + remaining;
  detail::ExchangeResult result;
  std::exception_ptr failure;
  detail::net::co_spawn(io_, connection_.exchange(request_, real_deadline),
                        [&](std::exception_ptr error, detail::ExchangeResult value) {
                          failure = error;
                          result = std::move(value);
                        });
  io_.restart();
  io_.run();
  opened_.store(connection_.opened());
  if (failure) std::rethrow_exception(failure);
  return result;
}

void HttpTransport::Implementation::cancel() noexcept {
  cancelled_.store(true);
  clock_->interrupt();
  connection_.interrupt_lookup();
  try {
    detail::net::post(io_, [this] { connection_.abort(); });
  } catch (...) {
    // Posting allocates; if even that fails, the deadline still ends the exchange.
  }
}

void HttpTransport::Implementation::close() noexcept {
  connection_.close();
}

Expected<std::unique_ptr<HttpTransport>> HttpTransport::create(HttpTransportSettings settings) {
  if (auto headers = detail::check_headers(settings.headers); !headers) return headers.error();
  if (settings.retry.max_attempts == 0) settings.retry.max_attempts = 1;
  std::shared_ptr<detail::TlsClientContext> tls;
  if (settings.url.secure) {
    auto context = detail::shared_tls_client_context(settings.tls);
    if (!context) return context.error();
    tls = std::move(*context);
  }
  try {
    auto implementation = std::make_unique<Implementation>(std::move(settings), std::move(tls));
    return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(implementation)));
  } catch (const std::exception& error) {
    return Error{Error::Code::io_failure,
                 std::string("cannot set up the transport: ") + error.what()};
  }
}

HttpTransport::HttpTransport(std::unique_ptr<Implementation> implementation)
    : implementation_(std::move(implementation)) {}

HttpTransport::~HttpTransport() = default;

TransportResult HttpTransport::post(std::string_view content_type, std::string_view body,
                                    std::chrono::steady_clock::time_point deadline) noexcept {
  return implementation_->post(content_type, body, deadline);
}

void HttpTransport::cancel() noexcept {
  implementation_->cancel();
}

void HttpTransport::close() noexcept {
  implementation_->close();
}

std::uint64_t HttpTransport::connections_opened() const noexcept {
  return implementation_->connections_opened();
}

std::string_view to_string(TransportResult::Outcome outcome) noexcept {
  switch (outcome) {
    case TransportResult::Outcome::delivered:
      return "delivered";
    case TransportResult::Outcome::refused:
      return "refused";
    case TransportResult::Outcome::gave_up:
      return "gave up";
    case TransportResult::Outcome::failed:
      return "failed";
    case TransportResult::Outcome::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view transport_user_agent() noexcept {
  static const std::string user_agent =
      std::string(library_name) + "/" + std::string(library_version);
  return user_agent;
}

}  // namespace tachi_trace
