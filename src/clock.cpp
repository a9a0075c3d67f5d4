#include "clock.hpp"

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TACHI_HAS_TSC 1
#endif

namespace tachi_trace::detail {

namespace {

using std::chrono::nanoseconds;

std::int64_t system_nanoseconds() noexcept {
  return std::chrono::duration_cast<nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t steady_nanoseconds() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool cpu_has_invariant_tsc() {
#ifdef TACHI_HAS_TSC
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" constant_tsc") != std::string::npos &&
             line.find(" nonstop_tsc") != std::string::npos;
  }
#endif
  return false;
}

/// The conversion from ticks to wall-clock time, published with a sequence lock so that readers
/// never take a lock and never see a half-written anchor.
class TickConverter {
 public:
  void calibrate() {
    use_tsc_ = cpu_has_invariant_tsc();
    if (!use_tsc_) {
      publish(steady_nanoseconds(), system_nanoseconds(), 1.0);
      return;
    }
    // A first rate from a short busy wait; each later refresh measures it again over the whole
    // time since this first reading, so it becomes precise within a second.
    auto [first_ticks, first_system] = paired_reading();
    baseline_ticks_ = first_ticks;
    baseline_system_ = first_system;
    const std::uint64_t wait_until = steady_nanoseconds() + 2'000'000;
    while (steady_nanoseconds() < wait_until) {
    }
    auto [ticks, system] = paired_reading();
    publish(ticks, system,
            static_cast<double>(system - first_system) / static_cast<double>(ticks - first_ticks));
  }

  ClockTicks read() const noexcept {
#ifdef TACHI_HAS_TSC
    if (use_tsc_) return __rdtsc();
#endif
    return steady_nanoseconds();
  }

  SystemTime to_system(ClockTicks ticks) noexcept {
    std::uint64_t anchor_ticks;
    std::int64_t anchor_system;
    double rate;
    std::uint64_t refresh_at;
    load(anchor_ticks, anchor_system, rate, refresh_at);
    if (ticks > refresh_at) refresh();
    const double offset =
        (static_cast<double>(static_cast<std::int64_t>(ticks - anchor_ticks))) * rate;
    return SystemTime(nanoseconds(anchor_system + static_cast<std::int64_t>(offset)));
  }

  nanoseconds between(ClockTicks from, ClockTicks to) const noexcept {
    if (to <= from) return nanoseconds(0);
    return nanoseconds(static_cast<std::int64_t>(static_cast<double>(to - from) *
                                                 rate_.load(std::memory_order_relaxed)));
  }

 private:
  std::pair<std::uint64_t, std::int64_t> paired_reading() const {
    const std::uint64_t before = read();
    const std::int64_t system = system_nanoseconds();
    const std::uint64_t after = read();
    return {before + (after - before) / 2, system};
  }

  void refresh() noexcept {
    std::unique_lock lock(refresh_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is refreshing; the old anchor is still good
    auto [ticks, system] = paired_reading();
    double rate = 1.0;
    if (use_tsc_) {
      if (ticks <= baseline_ticks_ || system <= baseline_system_) {
        // The TSC or the wall clock went back (migration, clock set): start a new baseline.
        baseline_ticks_ = ticks;
        baseline_system_ = system;
        rate = rate_.load(std::memory_order_relaxed);
      } else {
        rate = static_cast<double>(system - baseline_system_) /
               static_cast<double>(ticks - baseline_ticks_);
      }
    }
    publish(ticks, system, rate);
  }

  void publish(std::uint64_t ticks, std::int64_t system, double rate) noexcept {
    sequence_.fetch_add(1, std::memory_order_acq_rel);  // odd: writing
    std::atomic_thread_fence(std::memory_order_release);
    anchor_ticks_.store(ticks, std::memory_order_relaxed);
    anchor_system_.store(system, std::memory_order_relaxed);
    rate_.store(rate, std::memory_order_relaxed);
    // A second from now: the division is done here, once, rather than for every span.
    refresh_at_.store(ticks + static_cast<std::uint64_t>(1e9 / rate), std::memory_order_relaxed);
    sequence_.fetch_add(1, std::memory_order_release);  // even: done
  }

  void load(std::uint64_t& ticks, std::int64_t& system, double& rate,
            std::uint64_t& refresh_at) const noexcept {
    while (true) {
      const std::uint64_t before = sequence_.load(std::memory_order_acquire);
      ticks = anchor_ticks_.load(std::memory_order_relaxed);
      system = anchor_system_.load(std::memory_order_relaxed);
      rate = rate_.load(std::memory_order_relaxed);
      refresh_at = refresh_at_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((before & 1) == 0 && sequence_.load(std::memory_order_relaxed) == before) return;
    }
  }

  bool use_tsc_ = false;
  std::atomic<std::uint64_t> sequence_{0};
  std::atomic<std::uint64_t> anchor_ticks_{0};
  std::atomic<std::int64_t> anchor_system_{0};
  std::atomic<double> rate_{1.0};
  std::atomic<std::uint64_t> refresh_at_{0};  // ticks after which the anchor is refreshed
  std::mutex refresh_mutex_;
  std::uint64_t baseline_ticks_ = 0;  // guarded by refresh_mutex_
  std::int64_t baseline_system_ = 0;
};

// Published once calibrated, so each clock call checks one pointer. The calibration stays out of
// line: inlined into the clock calls, it made each of them save and restore six registers.
std::atomic<TickConverter*> calibrated_converter{nullptr};

[[gnu::noinline]] TickConverter& calibrate_once() noexcept {
  static TickConverter* instance = [] {
    auto* created = new TickConverter;  // never destroyed: spans may end during static destruction
    created->calibrate();
    return created;
  }();
  calibrated_converter.store(instance, std::memory_order_release);
  return *instance;
}

TickConverter& converter() noexcept {
  if (TickConverter* ready = calibrated_converter.load(std::memory_order_acquire)) [[likely]]
    return *ready;
  return calibrate_once();
}

}  // namespace

ClockReading read_clock_and_time() noexcept {
  TickConverter& clock = converter();
  const ClockTicks ticks = clock.read();
  return {ticks, clock.to_system(ticks)};
}
std::chrono::nanoseconds elapsed_since(ClockTicks from) noexcept {
  const TickConverter& clock = converter();
  return clock.between(from, clock.read());
}
void prepare_clock() noexcept {
  (void)converter();
}

}  // namespace tachi_trace::detail
