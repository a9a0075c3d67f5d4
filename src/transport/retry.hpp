// When and how long to wait before another attempt. Private.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "tachi_trace/transport.hpp"

namespace tachi_trace::detail {

/// 429, 502, 503 and 504: the statuses the OTLP specification says to retry.
bool is_retryable_status(unsigned status) noexcept;

/// Reads an HTTP date in any of the three forms RFC 9110 asks recipients to accept:
/// "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994".
/// Nullopt too for a date the system clock cannot hold (libstdc++'s nanoseconds: 1678 to 2262).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

/// The wait a Retry-After value asks for: a number of seconds, or an HTTP date measured from
/// `now` (a date in the past means no wait), at most a day. Nullopt when the value is neither.
std::optional<std::chrono::nanoseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// Exponential backoff with jitter: each call returns the next wait. `random` is the caller's,
/// seeded once (seeding from the system costs more than the rest of a request's bookkeeping).
class Backoff {
 public:
  Backoff(const RetryPolicy& policy, std::minstd_rand& random);
  std::chrono::nanoseconds next();

 private:
  const RetryPolicy& policy_;
  std::minstd_rand& random_;
  double current_nanoseconds_;
};

/// "1.5 s", "250 ms": a wait as people read it.
std::string describe_wait(std::chrono::nanoseconds wait);

}  // namespace tachi_trace::detail
