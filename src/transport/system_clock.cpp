#include <condition_variable>
#include <mutex>

#include "tachi_trace/transport.hpp"

namespace tachi_trace {

namespace {

class SystemTransportClock final : public TransportClock {
 public:
  std::chrono::steady_clock::time_point now() const noexcept override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point wall_now() const noexcept override {
    return std::chrono::system_clock::now();
  }

  bool sleep_until(std::chrono::steady_clock::time_point wake_time) noexcept override {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, wake_time, [&] { return interrupted_; });
    return !interrupted_;
  }

  void interrupt() noexcept override {
    {
      std::lock_guard guard(mutex_);
      interrupted_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool interrupted_ = false;
};

}  // namespace

std::shared_ptr<TransportClock> make_system_transport_clock() {
  return std::make_shared<SystemTransportClock>();
}

}  // namespace tachi_trace
