// What an in-test server (HttpReceiver, ForwardProxy) received: recorded on the server's thread,
// read and waited for on the test's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace tachi_trace::testing {

template <typename Request>
class RequestLog {
 public:
  /// Counts an accepted connection; its number, counting from 1.
  std::uint64_t count_connection() {
    std::lock_guard guard(mutex_);
    return ++connections_;
  }
  void record(Request request) {
    std::lock_guard guard(mutex_);
    requests_.push_back(std::move(request));
    changed_.notify_all();
  }

  std::vector<Request> requests() const {
    std::lock_guard guard(mutex_);
    return requests_;
  }
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  std::uint64_t connections_accepted() const {
    std::lock_guard guard(mutex_);
    return connections_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Request> requests_;
  std::uint64_t connections_ = 0;
};

/// The test's side of a server's log, which the server's classes inherit.
template <typename Request>
class RecordedRequests {
 public:
  std::vector<Request> requests() const { return log_->requests(); }
  std::size_t request_count() const { return log_->requests().size(); }
  /// Waits until `count` requests were recorded; false when `timeout` passes first.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
    return log_->wait_for_requests(count, timeout);
  }
  std::uint64_t connections_accepted() const { return log_->connections_accepted(); }

 protected:
  RecordedRequests() = default;

  /// Shared with the server's thread, which may outlive the object for a moment.
  const std::shared_ptr<RequestLog<Request>> log_ = std::make_shared<RequestLog<Request>>();
};

}  // namespace tachi_trace::testing
