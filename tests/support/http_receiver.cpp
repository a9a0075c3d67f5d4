#include "support/http_receiver.hpp"

#include <zlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <deque>
#include <mutex>
#include <thread>

namespace tachi_trace::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {
constexpr auto as_result = net::as_tuple(net::use_awaitable);
}  // namespace

std::string ReceivedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, name)) return value;
  return {};
}

bool ReceivedRequest::has_header(std::string_view name) const {
  for (const auto& header : headers)
    if (beast::iequals(header.first, name)) return true;
  return false;
}

std::optional<std::string> gunzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string output;
  int status = Z_OK;
  char chunk[16384];
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    output.append(chunk, sizeof chunk - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return std::nullopt;
  return output;
}

class HttpReceiver::State : public std::enable_shared_from_this<HttpReceiver::State> {
 public:
  State(Options options, std::shared_ptr<RequestLog<ReceivedRequest>> log)
      : options_(std::move(options)), log_(std::move(log)) {
    if (options_.tls) set_up_tls(*options_.tls);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), options_.port));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
  }

  void start() {
    net::co_spawn(io_, accept_loop(), net::detached);
    thread_ = std::thread([self = shared_from_this()] { self->io_.run(); });
  }

  void stop() {
    std::lock_guard guard(stop_mutex_);
    if (!thread_.joinable()) return;
    // Stopping the context abandons every suspended session (hanging ones included); their
    // sockets close when the context is destroyed with the state.
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  bool secure() const noexcept { return options_.tls.has_value(); }

  void add_response(ScriptedResponse response) {
    std::lock_guard guard(mutex_);
    script_.push_back(std::move(response));
  }

  void set_default_response(ScriptedResponse response) {
    std::lock_guard guard(mutex_);
    default_response_ = std::move(response);
  }

  std::uint64_t tls_sessions_resumed() const {
    std::lock_guard guard(mutex_);
    return tls_sessions_resumed_;
  }

 private:
  void set_up_tls(const ReceiverTls& tls) {
    tls_.use_certificate_chain(net::buffer(tls.certificate_chain_pem));
    tls_.use_private_key(net::buffer(tls.private_key_pem), ssl::context::pem);
    if (!tls.client_ca_pem.empty()) {
      tls_.add_certificate_authority(net::buffer(tls.client_ca_pem));
      tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }

  net::awaitable<void> accept_loop() {
    while (true) {
      auto [error, socket] = co_await acceptor_.async_accept(as_result);
      if (error) co_return;
      const std::uint64_t number = log_->count_connection();
      if (secure()) {
        net::co_spawn(io_, secure_session(std::move(socket), number), net::detached);
      } else {
        net::co_spawn(io_, session(beast::tcp_stream(std::move(socket)), number), net::detached);
      }
    }
  }

  net::awaitable<void> secure_session(tcp::socket socket, std::uint64_t number) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [error] = co_await stream.async_handshake(ssl::stream_base::server, as_result);
    if (error) co_return;
    if (SSL_session_reused(stream.native_handle())) {
      std::lock_guard guard(mutex_);
      ++tls_sessions_resumed_;
    }
    co_await serve(stream, number);
  }

  net::awaitable<void> session(beast::tcp_stream stream, std::uint64_t number) {
    co_await serve(stream, number);
  }

  template <typename Stream>
  net::awaitable<void> serve(Stream& stream, std::uint64_t number) {
    beast::flat_buffer buffer;
    buffer.reserve(std::size_t{1} << 16);  // Beast reads at most what fits: without this, 512 B
    while (true) {
      beast::get_lowest_layer(stream).expires_never();
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_request_body_bytes);
      auto [error, read] = co_await http::async_read(stream, buffer, parser, as_result);
      if (error) co_return;
      const bool keep_alive = parser.get().keep_alive();
      ScriptedResponse response = record(parser.release(), number);
      if (!co_await act(stream, response, keep_alive)) co_return;
    }
  }

  ScriptedResponse record(http::request<http::string_body> message, std::uint64_t number) {
    ReceivedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message)
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    request.wire_body_size = message.body().size();
    request.body = std::move(message.body());
    if (beast::iequals(request.header("Content-Encoding"), "gzip"))
      request.body = gunzip(request.body).value_or("<invalid gzip>");
    request.connection = number;
    log_->record(std::move(request));
    std::lock_guard guard(mutex_);
    if (script_.empty()) return default_response_;
    ScriptedResponse next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  // Carries out one scripted response; false when the connection is done.
  template <typename Stream>
  net::awaitable<bool> act(Stream& stream, const ScriptedResponse& response, bool keep_alive) {
    net::steady_timer timer(io_);
    if (response.delay.count() > 0) {
      timer.expires_after(response.delay);
      co_await timer.async_wait(as_result);
    }
    switch (response.action) {
      case ScriptedResponse::Action::hang:
        timer.expires_after(std::chrono::hours(24));  // ended by stop()
        co_await timer.async_wait(as_result);
        co_return false;
      case ScriptedResponse::Action::close_without_answer:
        co_return false;
      case ScriptedResponse::Action::send_garbage:
        co_await net::async_write(stream, net::buffer(response.body), as_result);
        co_return false;
      case ScriptedResponse::Action::respond:
        break;
    }
    auto message = make_response(response, keep_alive);
    auto [error, written] = co_await http::async_write(stream, message, as_result);
    co_return !error && message.keep_alive();
  }

  static http::response<http::string_body> make_response(const ScriptedResponse& response,
                                                         bool keep_alive) {
    http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
    for (const auto& [name, value] : response.headers)
      message.set(name, value);
    if (!response.content_type.empty())
      message.set(http::field::content_type, response.content_type);
    message.body() = response.body;
    message.keep_alive(keep_alive && !response.close_connection);
    message.prepare_payload();
    return message;
  }

  Options options_;
  ssl::context tls_{ssl::context::tls_server};  // outlives the sessions, which end with io_
  net::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex stop_mutex_;

  const std::shared_ptr<RequestLog<ReceivedRequest>> log_;
  mutable std::mutex mutex_;
  std::deque<ScriptedResponse> script_;
  ScriptedResponse default_response_;
  std::uint64_t tls_sessions_resumed_ = 0;
};

HttpReceiver::HttpReceiver() : HttpReceiver(Options{}) {}

HttpReceiver::HttpReceiver(Options options)
    : state_(std::make_shared<State>(std::move(options), log_)) {
  state_->start();
}

HttpReceiver::~HttpReceiver() {
  stop();
}

void HttpReceiver::stop() {
  state_->stop();
}

std::uint16_t HttpReceiver::port() const noexcept {
  return state_->port();
}

std::string HttpReceiver::url(std::string_view path) const {
  return (state_->secure() ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port()) +
         std::string(path);
}

void HttpReceiver::add_response(ScriptedResponse response) {
  state_->add_response(std::move(response));
}

void HttpReceiver::set_default_response(ScriptedResponse response) {
  state_->set_default_response(std::move(response));
}

std::uint64_t HttpReceiver::tls_sessions_resumed() const {
  return state_->tls_sessions_resumed();
}

}  // namespace tachi_trace::testing
