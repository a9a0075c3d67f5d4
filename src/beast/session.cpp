// The non-template parts of the session loop: waiting for a request, refusing one that cannot be
// read, stopping a session from another thread.
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <optional>

#include "tachi_trace/beast_server.hpp"

namespace tachi_trace {

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::as_tuple;
using net::use_awaitable;

/// How much the first read of a request asks for: most requests arrive whole in one read.
constexpr std::size_t first_read_size = 8 * 1024;
/// After refusing a request, what is still read and dropped before closing (so the client gets
/// to read the answer instead of a reset), and for how long at most.
constexpr std::size_t drain_limit = 1024 * 1024;
constexpr std::chrono::milliseconds drain_time{1000};

/// The status for a request that could not be read; nullopt when nobody is left to answer (the
/// client left, or a timeout closed the socket).
std::optional<http::status> refusal_status(const boost::system::error_code& error) {
  if (error == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (error == http::error::body_limit) return http::status::payload_too_large;
  if (error == http::error::end_of_stream || error == http::error::partial_message)
    return std::nullopt;
  if (error.category() == http::make_error_code(http::error::bad_version).category())
    return http::status::bad_request;
  return std::nullopt;
}

http::response<http::string_body> refusal(http::status status) {
  http::response<http::string_body> response(status, 11);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::string(http::obsolete_reason(status)) + "\n";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

/// Reads and drops what the client still sends, within bounds, after the answer was sent.
net::awaitable<void> drain(boost::beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream.expires_after(drain_time);
  char scratch[4096];
  std::size_t drained = 0;
  while (drained < drain_limit) {
    auto [error, size] =
        co_await stream.async_read_some(net::buffer(scratch), as_tuple(use_awaitable));
    if (error) break;
    drained += size;
  }
}

}  // namespace

void HttpSessionControl::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  net::post(executor_, [self = shared_from_this()] {
    if (self->waiting_ && self->stream_ != nullptr) self->stream_->cancel();
  });
}

void HttpSessionControl::force_stop() {
  stop_requested_.store(true, std::memory_order_release);
  net::post(executor_, [self = shared_from_this()] {
    // Only while the session runs: once it has ended, nothing listens on the slot any more.
    if (self->stream_ == nullptr) return;
    self->cancellation_.emit(net::cancellation_type::terminal);
    if (self->stream_ != nullptr) self->stream_->close();
  });
}

namespace detail {

net::awaitable<bool> wait_for_request(boost::beast::tcp_stream& stream,
                                      boost::beast::flat_buffer& buffer,
                                      const HttpSessionOptions& options,
                                      HttpSessionControl& control) {
  if (control.stop_requested()) co_return false;
  if (buffer.size() > 0) co_return true;  // a pipelined request is here already
  control.set_waiting(true);
  stream.expires_after(options.idle_timeout);
  auto [error, size] =
      co_await stream.async_read_some(buffer.prepare(first_read_size), as_tuple(use_awaitable));
  control.set_waiting(false);
  if (error) co_return false;
  buffer.commit(size);
  co_return true;
}

net::awaitable<boost::system::error_code> send_continue(boost::beast::tcp_stream& stream,
                                                        unsigned version,
                                                        std::chrono::milliseconds timeout) {
  http::response<http::empty_body> interim(http::status::continue_, version);
  stream.expires_after(timeout);
  auto [error, size] = co_await http::async_write(stream, interim, as_tuple(use_awaitable));
  co_return error;
}

net::awaitable<void> reject_request(boost::beast::tcp_stream& stream,
                                    boost::system::error_code read_error, bool request_started,
                                    std::chrono::milliseconds timeout) {
  const auto status = request_started ? refusal_status(read_error) : std::nullopt;
  if (!status) co_return;
  auto response = refusal(*status);
  stream.expires_after(timeout);
  auto [error, size] = co_await http::async_write(stream, response, as_tuple(use_awaitable));
  if (!error) co_await drain(stream);
}

void shut_down(boost::beast::tcp_stream& stream) noexcept {
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

bool expects_continue(const http::request_header<>& request) noexcept {
  return boost::beast::iequals(request[http::field::expect], "100-continue");
}

bool asks_to_close(const http::fields& fields) noexcept {
  const auto connection = fields.find(http::field::connection);
  if (connection == fields.end()) return false;
  return http::token_list(connection->value()).exists("close");
}

std::string internal_error_text(const std::exception_ptr& error, bool expose_message) {
  std::string text = "Internal Server Error\n";
  if (!expose_message || !error) return text;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    text += caught.what();
    text += '\n';
  } catch (...) {
    text += "an exception not derived from std::exception\n";
  }
  return text;
}

template boost::asio::awaitable<boost::system::error_code> read_request<http::string_body>(
    boost::beast::tcp_stream&, boost::beast::flat_buffer&, http::request_parser<http::string_body>&,
    const HttpSessionOptions&);
template boost::asio::awaitable<boost::system::error_code> write_response<http::string_body>(
    boost::beast::tcp_stream&, http::response<http::string_body>&, bool, std::chrono::milliseconds);

}  // namespace detail

}  // namespace tachi_trace
