// Time stamps for spans, cheap enough for the hot path. Private.
//
// Reading the system clock costs ~30 ns on common virtual machines; a span needs a start time and a
// duration, so three clock reads would cost more than the rest of the span. Where the CPU has an
// invariant TSC (constant and non-stop, as Linux reports), spans read the TSC instead (~10 ns) and
// convert ticks to wall-clock time through an anchor pair (ticks, system time) that is refreshed
// from the system clock every second. Durations are tick differences, so they are monotonic.
// Elsewhere, the monotonic clock stands in for ticks (one read at start and one at end).
#pragma once

#include <chrono>
#include <cstdint>

#include "tachi_trace/span.hpp"

namespace tachi_trace::detail {

/// A reading of the span clock; only differences and conversions mean anything.
using ClockTicks = std::uint64_t;

/// A reading and its wall-clock time: what a span's start needs, in one call.
struct ClockReading {
  ClockTicks ticks;
  SystemTime time;
};
ClockReading read_clock_and_time() noexcept;
/// The time since `from`, read now: what a span's end needs, in one call.
std::chrono::nanoseconds elapsed_since(ClockTicks from) noexcept;
/// Makes sure the clock is calibrated (a few milliseconds, once per process), so that the first
/// span does not pay for it.
void prepare_clock() noexcept;

}  // namespace tachi_trace::detail
