#include "host_lookup.hpp"

#include <boost/asio/io_context.hpp>
#include <thread>

#include "thread_name.hpp"

namespace tachi_trace::detail {

struct HostLookup::Pending {
  std::mutex mutex;
  std::condition_variable changed;
  bool done = false;
  bool abandoned = false;  // set by interrupt(), under `mutex`
  Endpoints endpoints;
  boost::system::error_code error;
};

HostLookup::Outcome HostLookup::resolve(const std::string& host, std::uint16_t port,
                                        std::chrono::steady_clock::time_point deadline) {
  auto pending = std::make_shared<Pending>();
  {
    std::lock_guard guard(mutex_);
    if (interrupted_) return Outcome{Outcome::Status::interrupted, {}, {}};
    current_ = pending;
  }
  std::thread([pending, host, port] {
    name_this_thread("resolve");
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::system::error_code error;
    auto endpoints = resolver.resolve(host, std::to_string(port),
                                      boost::asio::ip::tcp::resolver::numeric_service, error);
    std::lock_guard guard(pending->mutex);
    pending->endpoints = std::move(endpoints);
    pending->error = error;
    pending->done = true;
    pending->changed.notify_all();
  }).detach();

  std::unique_lock lock(pending->mutex);
  const bool done = pending->changed.wait_until(
      lock, deadline, [&] { return pending->done || pending->abandoned; });
  Outcome outcome;
  if (pending->abandoned && !pending->done) {
    outcome.status = Outcome::Status::interrupted;
  } else if (!done) {
    outcome.status = Outcome::Status::timed_out;
  } else if (pending->error) {
    outcome.status = Outcome::Status::failed;
    outcome.error = pending->error;
  } else {
    outcome.status = Outcome::Status::found;
    outcome.endpoints = pending->endpoints;
  }
  lock.unlock();
  std::lock_guard guard(mutex_);
  current_.reset();
  return outcome;
}

void HostLookup::interrupt() noexcept {
  std::lock_guard guard(mutex_);
  interrupted_ = true;
  if (!current_) return;
  std::lock_guard pending_guard(current_->mutex);
  current_->abandoned = true;
  current_->changed.notify_all();
}

}  // namespace tachi_trace::detail
