// Host name lookups that can be abandoned. Private.
//
// getaddrinfo cannot be cancelled, and Asio's resolver completes a cancelled lookup only once
// getaddrinfo returns, which with an unreachable DNS server can be long after the export deadline
// or a shutdown's. So each lookup runs on a short-lived thread of its own, and the caller waits
// for it only until the deadline or an interruption; an abandoned lookup finishes (or hangs) on
// its own thread, touching nothing but state it shares with no one else.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

namespace tachi_trace::detail {

class HostLookup {
 public:
  using Endpoints = boost::asio::ip::tcp::resolver::results_type;

  struct Outcome {
    enum class Status : std::uint8_t { found, failed, timed_out, interrupted };
    Status status = Status::failed;
    Endpoints endpoints;
    boost::system::error_code error;  // for `failed`
  };

  /// Looks `host` up (for TCP port `port`), waiting at most until `deadline`.
  Outcome resolve(const std::string& host, std::uint16_t port,
                  std::chrono::steady_clock::time_point deadline);

  /// From any thread: ends a waiting `resolve` (it returns `interrupted`), and every later one.
  void interrupt() noexcept;

 private:
  struct Pending;

  std::mutex mutex_;
  std::shared_ptr<Pending> current_;  // the lookup being waited for
  bool interrupted_ = false;
};

}  // namespace tachi_trace::detail
