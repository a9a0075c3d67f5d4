// How steadily this machine runs threads. One thread per processor, each held to its processor,
// spins reading the clock for two seconds and notes every gap longer than a millisecond: the
// thread was not running then (another process, the kernel or the hypervisor had the processor).
// The other benchmarks share such a machine. A pipeline whose consumer is stalled longer than its
// buffers last at the producer's rate drops spans however fast the library is, so this line is
// context for export_otlp_loopback_1m above all.
//
// machine_processor_stalls: ns_per_op is the longest stall seen, in nanoseconds; stalls_over_1ms
// and stalled_ms add up every processor's.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

struct Stalls {
  double longest_ms = 0;
  double total_ms = 0;
  int count = 0;
};

void hold_to_processor(unsigned processor) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(processor, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

Stalls watch_for_stalls(unsigned processor, std::chrono::seconds duration) {
  using clock = std::chrono::steady_clock;
  hold_to_processor(processor);
  Stalls stalls;
  const auto start = clock::now();
  auto last = start;
  for (auto now = start; now - start < duration; now = clock::now()) {
    const double gap_ms = std::chrono::duration<double, std::milli>(now - last).count();
    if (gap_ms > 1.0) {
      stalls.longest_ms = std::max(stalls.longest_ms, gap_ms);
      stalls.total_ms += gap_ms;
      ++stalls.count;
    }
    last = now;
  }
  return stalls;
}

}  // namespace

TACHI_BENCHMARK("machine") {
  const unsigned processors = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Stalls> seen(processors);
  std::vector<std::thread> watchers;
  for (unsigned processor = 0; processor < processors; ++processor)
    watchers.emplace_back([&seen, processor] {
      seen[processor] = watch_for_stalls(processor, std::chrono::seconds(2));
    });
  for (auto& watcher : watchers)
    watcher.join();
  Stalls all;
  for (const auto& stalls : seen) {
    all.longest_ms = std::max(all.longest_ms, stalls.longest_ms);
    all.total_ms += stalls.total_ms;
    all.count += stalls.count;
  }
  tachi_bench::report("machine_processor_stalls", all.longest_ms * 1e6,
                      {{"stalls_over_1ms", static_cast<double>(all.count)},
                       {"stalled_ms", all.total_ms},
                       {"processors", static_cast<double>(processors)}});
}
