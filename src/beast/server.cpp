// HttpServer: the acceptor, the set of running sessions, and the graceful stop.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <unordered_set>

#include "beast/strands.hpp"
#include "tachi_trace/beast_server.hpp"

namespace tachi_trace {

namespace {
namespace net = boost::asio;
using net::ip::tcp;

/// After an accept failure that is not a stop (no file descriptors left, say), how long the loop
/// waits before trying again, so that it does not spin.
constexpr std::chrono::milliseconds accept_retry_delay{50};

std::string describe(const tcp::endpoint& endpoint) {
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) about "literal" + std::string&&.
  const auto address = endpoint.address();
  std::string text;
  if (address.is_v6()) text += '[';
  text += address.to_string();
  if (address.is_v6()) text += ']';
  text += ':';
  text += std::to_string(endpoint.port());
  return text;
}

}  // namespace

namespace detail {

class HttpServerCore : public std::enable_shared_from_this<HttpServerCore> {
 public:
  HttpServerCore(net::any_io_executor executor, std::size_t max_connections,
                 HttpSessionStarter starter)
      : executor_(executor),
        strand_(net::make_strand(executor)),
        acceptor_(strand_),
        grace_timer_(strand_),
        max_connections_(max_connections),
        starter_(std::move(starter)) {}

  Expected<bool> open(const tcp::endpoint& endpoint);
  void start() { net::co_spawn(strand_, accept_loop(shared_from_this()), net::detached); }
  void stop(std::chrono::milliseconds grace) {
    // Sessions learn of the stop at once, so a response finishing now already says "close";
    // the acceptor and the timer are handled on the strand.
    for (const auto& session : sessions())
      session->request_stop();
    net::post(strand_, [self = shared_from_this(), grace] { self->begin_stop(grace); });
  }

  tcp::endpoint local_endpoint() const { return local_endpoint_; }
  std::size_t active_connections() const {
    std::lock_guard guard(mutex_);
    return sessions_.size();
  }
  std::uint64_t rejected_connections() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  static net::awaitable<void> accept_loop(std::shared_ptr<HttpServerCore> self);
  void admit(tcp::socket socket);
  void session_finished(const std::shared_ptr<HttpSessionControl>& control);
  void begin_stop(std::chrono::milliseconds grace);
  std::vector<std::shared_ptr<HttpSessionControl>> sessions() const {
    std::lock_guard guard(mutex_);
    return {sessions_.begin(), sessions_.end()};
  }

  net::any_io_executor executor_;
  net::strand<net::any_io_executor> strand_;  // the acceptor, the timer and stopping_ live on it
  tcp::acceptor acceptor_;
  net::steady_timer grace_timer_;
  tcp::endpoint local_endpoint_;
  std::size_t max_connections_;
  HttpSessionStarter starter_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> rejected_{0};
  mutable std::mutex mutex_;
  std::unordered_set<std::shared_ptr<HttpSessionControl>> sessions_;
};

Expected<bool> HttpServerCore::open(const tcp::endpoint& endpoint) {
  boost::system::error_code error;
  const char* step = "open";
  acceptor_.open(endpoint.protocol(), error);
  if (!error) {
    step = "set SO_REUSEADDR";
    acceptor_.set_option(net::socket_base::reuse_address(true), error);
  }
  if (!error) {
    step = "bind";
    acceptor_.bind(endpoint, error);
  }
  if (!error) {
    step = "listen";
    acceptor_.listen(net::socket_base::max_listen_connections, error);
  }
  if (!error) local_endpoint_ = acceptor_.local_endpoint(error);
  if (error) {
    return Error{Error::Code::io_failure,
                 "cannot listen on " + describe(endpoint) + ": " + step + ": " + error.message()};
  }
  return true;
}

net::awaitable<void> HttpServerCore::accept_loop(std::shared_ptr<HttpServerCore> self) {
  while (!self->stopping_) {
    auto [error, socket] = co_await self->acceptor_.async_accept(
        beast_support::make_connection_strand(self->executor_), net::as_tuple(net::use_awaitable));
    if (self->stopping_ || error == net::error::operation_aborted) break;
    if (error) {
      net::steady_timer pause(self->strand_, accept_retry_delay);
      co_await pause.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    self->admit(std::move(socket));
  }
}

void HttpServerCore::admit(tcp::socket socket) {
  auto control = std::make_shared<HttpSessionControl>(socket.get_executor());
  {
    std::lock_guard guard(mutex_);
    if (sessions_.size() >= max_connections_) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    sessions_.insert(control);
  }
  starter_(std::move(socket), control,
           [self = shared_from_this(), control] { self->session_finished(control); });
}

void HttpServerCore::session_finished(const std::shared_ptr<HttpSessionControl>& control) {
  net::post(strand_, [self = shared_from_this(), control] {
    bool none_left = false;
    {
      std::lock_guard guard(self->mutex_);
      self->sessions_.erase(control);
      none_left = self->sessions_.empty();
    }
    // The grace timer must not keep the io_context running once every session is over.
    if (self->stopping_ && none_left) self->grace_timer_.cancel();
  });
}

void HttpServerCore::begin_stop(std::chrono::milliseconds grace) {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  const auto running = sessions();
  for (const auto& session : running)
    session->request_stop();
  if (running.empty()) return;
  grace_timer_.expires_after(grace);
  grace_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (error) return;  // every session ended in time
    for (const auto& session : self->sessions())
      session->force_stop();
  });
}

Expected<std::shared_ptr<HttpServerCore>> open_http_server(net::any_io_executor executor,
                                                           const tcp::endpoint& endpoint,
                                                           std::size_t max_connections,
                                                           HttpSessionStarter starter) {
  auto core =
      std::make_shared<HttpServerCore>(std::move(executor), max_connections, std::move(starter));
  if (auto opened = core->open(endpoint); !opened) return opened.error();
  core->start();
  return core;
}

}  // namespace detail

HttpServer& HttpServer::operator=(HttpServer&& other) noexcept {
  if (this != &other) {
    if (core_) core_->stop(std::chrono::milliseconds(0));
    core_ = std::move(other.core_);
  }
  return *this;
}

HttpServer::~HttpServer() {
  if (core_) core_->stop(std::chrono::milliseconds(0));
}

tcp::endpoint HttpServer::local_endpoint() const {
  return core_ ? core_->local_endpoint() : tcp::endpoint();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (core_) core_->stop(grace);
}

std::size_t HttpServer::active_connections() const {
  return core_ ? core_->active_connections() : 0;
}

std::uint64_t HttpServer::rejected_connections() const {
  return core_ ? core_->rejected_connections() : 0;
}

}  // namespace tachi_trace
