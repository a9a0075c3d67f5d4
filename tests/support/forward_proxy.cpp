#include "support/forward_proxy.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <mutex>
#include <string_view>
#include <thread>
#include <tuple>

namespace tachi_trace::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto as_result = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_body_bytes = std::size_t{256} << 20;
constexpr std::string_view tunnel_established = "HTTP/1.1 200 Connection established\r\n\r\n";

struct Authority {
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;

  // What a following request must match to reuse an upstream connection.
  std::string key() const {
    std::string lower = host;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return lower + ":" + std::to_string(port);
  }
};

// "host:port" or "[v6]:port"; without a port, `default_port` (0: the port is required).
std::optional<Authority> parse_authority(std::string_view text, std::uint16_t default_port) {
  Authority authority;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    authority.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    const auto colon = text.find(':');
    authority.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
    // A second colon is an IPv6 literal without brackets, which no URL may hold.
    if (port_text.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (authority.host.empty()) return std::nullopt;
  if (port_text.empty()) {
    if (default_port == 0) return std::nullopt;
    authority.port = default_port;
    return authority;
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535)
    return std::nullopt;
  authority.port = static_cast<std::uint16_t>(port);
  return authority;
}

struct AbsoluteTarget {
  Authority origin;
  std::string origin_form;  // "/path?query", what the origin is sent
};

// "http://host[:port][/path][?query]"; nullopt for anything else (origin-form, https://...).
std::optional<AbsoluteTarget> parse_absolute_form(std::string_view target) {
  constexpr std::string_view scheme = "http://";
  if (target.size() < scheme.size() || !beast::iequals(target.substr(0, scheme.size()), scheme))
    return std::nullopt;
  target.remove_prefix(scheme.size());
  const auto authority_end = target.find_first_of("/?#");
  std::string_view authority = target.substr(0, authority_end);
  std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view{} : target.substr(authority_end);
  // User information and fragments are the client's business, never the origin's.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  rest = rest.substr(0, rest.find('#'));
  auto origin = parse_authority(authority, 80);
  if (!origin) return std::nullopt;
  std::string origin_form(rest);
  if (origin_form.empty() || origin_form.front() == '?') origin_form.insert(0, "/");
  return AbsoluteTarget{std::move(*origin), std::move(origin_form)};
}

// The origin a client connection's forwarded requests went to last.
struct Upstream {
  std::string key;
  beast::tcp_stream stream;
  beast::flat_buffer buffer{};
};

// Both ends of an open CONNECT tunnel, shared by its two relays: whichever ends last frees them.
struct Tunnel {
  tcp::socket client;
  tcp::socket upstream;
};

http::response<http::string_body> make_answer(unsigned status, std::string body, bool keep_alive) {
  http::response<http::string_body> answer{static_cast<http::status>(status), 11};
  answer.set(http::field::content_type, "text/plain");
  answer.body() = std::move(body);
  answer.keep_alive(keep_alive);
  answer.prepare_payload();
  return answer;
}

// Writes an answer of the proxy's own; true when the client connection stays open.
net::awaitable<bool> send_answer(beast::tcp_stream& client,
                                 http::response<http::string_body> answer) {
  auto [error, written] = co_await http::async_write(client, answer, as_result);
  co_return !error && answer.keep_alive();
}

net::awaitable<std::tuple<beast::error_code, beast::tcp_stream>> connect_to(
    const Authority& authority) {
  auto executor = co_await net::this_coro::executor;
  beast::tcp_stream stream(executor);
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(
      authority.host, std::to_string(authority.port), tcp::resolver::numeric_service, as_result);
  if (resolve_error) co_return std::tuple{resolve_error, std::move(stream)};
  // Loopback refuses at once; the limit only keeps a stray address from holding a test.
  stream.expires_after(std::chrono::seconds(10));
  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, as_result);
  stream.expires_never();
  co_return std::tuple{connect_error, std::move(stream)};
}

// Copies bytes from one end of a tunnel to the other. Either end closing ends the tunnel: both
// sockets are closed, which also stops the relay going the other way.
net::awaitable<void> relay(std::shared_ptr<Tunnel> tunnel, tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> chunk;
  while (true) {
    auto [read_error, read] = co_await from.async_read_some(net::buffer(chunk), as_result);
    if (read > 0) {
      auto [write_error, written] =
          co_await net::async_write(to, net::buffer(chunk.data(), read), as_result);
      if (write_error) break;
    }
    if (read_error) break;
  }
  beast::error_code ignored;
  tunnel->client.close(ignored);
  tunnel->upstream.close(ignored);
}
}  // namespace

class ForwardProxy::State : public std::enable_shared_from_this<ForwardProxy::State> {
 public:
  State(Options options, std::shared_ptr<RequestLog<ProxiedRequest>> log)
      : options_(std::move(options)), log_(std::move(log)) {
    acceptor_.emplace(*io_);
    acceptor_->open(tcp::v4());
    acceptor_->set_option(tcp::acceptor::reuse_address(true));
    acceptor_->bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), options_.port));
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
  }

  void start() {
    net::co_spawn(*io_, accept_loop(), net::detached);
    thread_ = std::thread([self = shared_from_this()] { self->io_->run(); });
  }

  void stop() {
    std::lock_guard guard(stop_mutex_);
    if (!io_) return;
    // Stopping the context abandons every suspended session: tunnels, hanging CONNECTs, idle
    // keep-alive connections. Destroying it destroys their coroutines, which closes their sockets
    // now, not when the last handle to the proxy goes.
    io_->stop();
    if (thread_.joinable()) thread_.join();
    acceptor_.reset();
    io_.reset();
  }

  std::uint16_t port() const noexcept { return port_; }

 private:
  net::awaitable<void> accept_loop() {
    while (true) {
      auto [error, socket] = co_await acceptor_->async_accept(as_result);
      if (error) co_return;
      const std::uint64_t number = log_->count_connection();
      net::co_spawn(acceptor_->get_executor(),
                    serve_client(beast::tcp_stream(std::move(socket)), number), net::detached);
    }
  }

  net::awaitable<void> serve_client(beast::tcp_stream client, std::uint64_t number) {
    beast::flat_buffer buffer;
    buffer.reserve(std::size_t{1} << 16);  // Beast reads at most what fits: without this, 512 B
    std::optional<Upstream> upstream;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(max_body_bytes);
      auto [header_error, header_read] =
          co_await http::async_read_header(client, buffer, parser, as_result);
      if (header_error) co_return;
      // The whole request is read before it goes anywhere, so a client waiting for leave to send
      // its body gets it from the proxy rather than after its own timeout.
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [error, written] = co_await net::async_write(client, net::buffer(go_on), as_result);
        if (error) co_return;
      }
      if (!parser.is_done()) {
        auto [body_error, body_read] = co_await http::async_read(client, buffer, parser, as_result);
        if (body_error) co_return;
      }
      http::request<http::string_body> request = parser.release();
      record(request, number);
      const bool keep_alive = request.keep_alive();
      bool stays_open = false;
      if (!authorized(request)) {
        auto answer = make_answer(407, "proxy authentication required\n", keep_alive);
        answer.set(http::field::proxy_authenticate, "Basic realm=\"test-proxy\"");
        stays_open = co_await send_answer(client, std::move(answer));
      } else if (request.method() == http::verb::connect) {
        co_await open_tunnel(std::move(client), buffer, request);
        co_return;
      } else if (auto target = parse_absolute_form(request.target())) {
        stays_open = co_await forward(client, std::move(request), *target, upstream);
      } else {
        stays_open = co_await send_answer(
            client, make_answer(400,
                                "a forward proxy takes CONNECT host:port or an absolute-form "
                                "http:// target\n",
                                keep_alive));
      }
      if (!stays_open) co_return;
    }
  }

  void record(const http::request<http::string_body>& request, std::uint64_t number) {
    ProxiedRequest proxied{
        .method = std::string(request.method_string()),
        .target = std::string(request.target()),
        .host_header = std::string(request[http::field::host]),
        .proxy_authorization = std::string(request[http::field::proxy_authorization]),
        .connection = number,
    };
    log_->record(std::move(proxied));
  }

  bool authorized(const http::request<http::string_body>& request) const {
    return !options_.required_authorization ||
           request[http::field::proxy_authorization] == *options_.required_authorization;
  }

  // Answers a CONNECT and, when it opens a tunnel, relays it until it closes. The client
  // connection ends with it whatever the answer.
  net::awaitable<void> open_tunnel(beast::tcp_stream client, beast::flat_buffer& buffer,
                                   const http::request<http::string_body>& request) {
    if (options_.hang_on_connect) {
      net::steady_timer timer(co_await net::this_coro::executor, std::chrono::hours(24));
      co_await timer.async_wait(as_result);  // ended by stop()
      co_return;
    }
    if (options_.connect_status) {
      co_await send_answer(client, make_answer(*options_.connect_status,
                                               "CONNECT refused by the test proxy\n", false));
      co_return;
    }
    const auto authority = parse_authority(request.target(), 0);
    if (!authority) {
      co_await send_answer(client, make_answer(400, "CONNECT takes host:port\n", false));
      co_return;
    }
    auto [connect_error, upstream] = co_await connect_to(*authority);
    if (connect_error) {
      co_await send_answer(
          client, make_answer(502,
                              "test proxy cannot reach " + std::string(request.target()) + ": " +
                                  connect_error.message() + "\n",
                              false));
      co_return;
    }
    auto [answer_error, answered] =
        co_await net::async_write(client, net::buffer(tunnel_established), as_result);
    if (answer_error) co_return;
    auto tunnel = std::make_shared<Tunnel>(
        Tunnel{.client = client.release_socket(), .upstream = upstream.release_socket()});
    // What the client sent right after its CONNECT was read with it: the tunnel's first bytes.
    if (buffer.size() != 0) {
      auto [error, written] = co_await net::async_write(tunnel->upstream, buffer.data(), as_result);
      if (error) co_return;
      buffer.consume(buffer.size());
    }
    net::co_spawn(tunnel->client.get_executor(), relay(tunnel, tunnel->upstream, tunnel->client),
                  net::detached);
    co_await relay(tunnel, tunnel->client, tunnel->upstream);
  }

  // Sends one absolute-form request to its origin, in origin-form, and the origin's answer back;
  // true when the client connection stays open.
  net::awaitable<bool> forward(beast::tcp_stream& client, http::request<http::string_body> request,
                               const AbsoluteTarget& target, std::optional<Upstream>& upstream) {
    const bool keep_alive = request.keep_alive();
    const std::string key = target.origin.key();
    if (upstream && upstream->key != key) upstream.reset();
    if (!upstream) {
      auto [connect_error, stream] = co_await connect_to(target.origin);
      if (connect_error)
        co_return co_await send_answer(client, bad_gateway(key, connect_error, keep_alive));
      upstream.emplace(Upstream{.key = key, .stream = std::move(stream)});
    }
    request.target(target.origin_form);
    request.erase(http::field::proxy_authorization);
    request.erase("Proxy-Connection");
    auto [write_error, written] = co_await http::async_write(upstream->stream, request, as_result);
    if (write_error) {
      upstream.reset();
      co_return co_await send_answer(client, bad_gateway(key, write_error, keep_alive));
    }
    // Interim answers (100 Continue) are the proxy's to give, and it gave one already if asked.
    std::optional<http::response_parser<http::string_body>> parser;
    do {
      parser.emplace();
      parser->body_limit(max_body_bytes);
      parser->skip(request.method() == http::verb::head);
      auto [read_error, read] =
          co_await http::async_read(upstream->stream, upstream->buffer, *parser, as_result);
      if (read_error) {
        upstream.reset();
        co_return co_await send_answer(client, bad_gateway(key, read_error, keep_alive));
      }
    } while (parser->get().result_int() / 100 == 1 &&
             parser->get().result() != http::status::switching_protocols);
    http::response<http::string_body> response = parser->release();
    // The origin's Connection header goes to the client unchanged, so the client connection
    // closes when the origin's does.
    const bool origin_stays_open = !response.need_eof();
    if (!origin_stays_open) upstream.reset();
    auto [relay_error, relayed] = co_await http::async_write(client, response, as_result);
    co_return !relay_error && keep_alive && origin_stays_open;
  }

  static http::response<http::string_body> bad_gateway(const std::string& origin,
                                                       beast::error_code error, bool keep_alive) {
    return make_answer(
        502, "test proxy got no answer from " + origin + ": " + error.message() + "\n", keep_alive);
  }

  Options options_;
  const std::shared_ptr<RequestLog<ProxiedRequest>> log_;
  std::unique_ptr<net::io_context> io_ = std::make_unique<net::io_context>(1);
  std::optional<tcp::acceptor> acceptor_;  // goes with io_ in stop()
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex stop_mutex_;
};

ForwardProxy::ForwardProxy() : ForwardProxy(Options{}) {}

ForwardProxy::ForwardProxy(Options options)
    : state_(std::make_shared<State>(std::move(options), log_)) {
  state_->start();
}

ForwardProxy::~ForwardProxy() {
  stop();
}

void ForwardProxy::stop() {
  state_->stop();
}

std::uint16_t ForwardProxy::port() const noexcept {
  return state_->port();
}

std::string ForwardProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

HttpProxy proxy_setting(const ForwardProxy& proxy, std::string_view user_information) {
  std::string url = "http://";
  if (!user_information.empty()) url.append(user_information).append("@");
  auto parsed = parse_http_proxy(url + "127.0.0.1:" + std::to_string(proxy.port()));
  if (!parsed) throw std::invalid_argument(parsed.error().message);
  return *parsed;
}

}  // namespace tachi_trace::testing
