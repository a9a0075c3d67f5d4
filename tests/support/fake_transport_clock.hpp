// A TransportClock for tests: time stands still except when the transport waits between attempts,
// which returns at once and moves the clock forward by the wait. Every wait is recorded.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

#include "tachi_trace/transport.hpp"

namespace tachi_trace::testing {

class FakeTransportClock final : public TransportClock {
 public:
  /// The wall clock starts at 2024-03-05 10:00:00 UTC.
  FakeTransportClock()
      : start_(std::chrono::steady_clock::now()),
        now_(start_),
        wall_start_(std::chrono::sys_days{std::chrono::year{2024} / 3 / 5} +
                    std::chrono::hours(10)) {}

  std::chrono::steady_clock::time_point now() const noexcept override {
    std::lock_guard guard(mutex_);
    return now_;
  }
  std::chrono::system_clock::time_point wall_now() const noexcept override {
    std::lock_guard guard(mutex_);
    return wall_start_ +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - start_);
  }

  bool sleep_until(std::chrono::steady_clock::time_point wake_time) noexcept override {
    std::function<void()> hook;
    {
      std::lock_guard guard(mutex_);
      if (interrupted_) return false;
      sleeps_.push_back(wake_time - now_);
      if (wake_time > now_) now_ = wake_time;
      hook = on_sleep_;
    }
    if (hook) hook();
    return true;
  }

  void interrupt() noexcept override {
    std::lock_guard guard(mutex_);
    interrupted_ = true;
  }

  /// Moves the clock forward, as time passing between exports would.
  void advance(std::chrono::steady_clock::duration by) {
    std::lock_guard guard(mutex_);
    now_ += by;
  }

  /// Called (outside the lock) after each recorded wait.
  void on_sleep(std::function<void()> hook) {
    std::lock_guard guard(mutex_);
    on_sleep_ = std::move(hook);
  }

  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard guard(mutex_);
    return sleeps_;
  }

 private:
  mutable std::mutex mutex_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point now_;
  const std::chrono::system_clock::time_point wall_start_;
  std::vector<std::chrono::nanoseconds> sleeps_;
  std::function<void()> on_sleep_;
  bool interrupted_ = false;
};

}  // namespace tachi_trace::testing
