#include "proxy_tunnel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "tachi_trace/transport.hpp"

namespace tachi_trace::detail {

namespace http = boost::beast::http;

namespace {
// A proxy's answer to CONNECT is a status line and a few headers; more is not an answer.
constexpr std::uint32_t answer_header_limit = 16 * 1024;
}  // namespace

std::string TunnelOutcome::refusal() const {
  std::string text = std::to_string(status_code);
  if (!reason_phrase.empty()) text += " " + reason_phrase;
  return text;
}

bool TunnelOutcome::retryable() const noexcept {
  return status_code == 502 || status_code == 503 || status_code == 504;
}

boost::asio::awaitable<TunnelOutcome> open_proxy_tunnel(boost::beast::tcp_stream& stream,
                                                        const HttpProxy& proxy,
                                                        const HttpUrl& server) {
  constexpr auto as_result = boost::asio::as_tuple(boost::asio::use_awaitable);
  const std::string authority = server.authority();
  http::request<http::empty_body> request(http::verb::connect, authority, 11);
  request.set(http::field::host, authority);
  request.set(http::field::user_agent, transport_user_agent());
  if (const std::string credentials = proxy.authorization(); !credentials.empty())
    request.set(http::field::proxy_authorization, credentials);
  TunnelOutcome outcome;
  auto [write_error, written] = co_await http::async_write(stream, request, as_result);
  if (write_error) {
    outcome.error = write_error;
    co_return outcome;
  }
  // Only the header is read: a 2xx answer to CONNECT has no body whatever its headers say, and
  // after a refusal the connection is closed.
  boost::beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.header_limit(answer_header_limit);
  auto [read_error, read] = co_await http::async_read_header(stream, buffer, parser, as_result);
  if (read_error) {
    outcome.error = read_error;
    co_return outcome;
  }
  const auto& answer = parser.get();
  outcome.status_code = answer.result_int();
  outcome.reason_phrase = std::string(answer.reason());
  outcome.status =
      outcome.status_code / 100 == 2 ? TunnelOutcome::Status::open : TunnelOutcome::Status::refused;
  // Bytes after the answer would be the server's, yet TLS has the client speak first.
  if (outcome.status == TunnelOutcome::Status::open && buffer.size() != 0) {
    outcome.status = TunnelOutcome::Status::refused;
    outcome.reason_phrase += ", then bytes before the TLS handshake";
  }
  co_return outcome;
}

std::string proxied_target(const HttpUrl& url) {
  return url.secure ? url.target : url.to_string();
}

}  // namespace tachi_trace::detail
