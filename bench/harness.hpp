// A small benchmark harness: each benchmark registers itself with TACHI_BENCHMARK and prints one
// JSON object per line: {"bench": NAME, "ns_per_op": X, "ops_per_s": Y, ...extra fields}.
//
// Figures from one run are comparable with each other (same machine, same moment); compare
// ratios, not absolute numbers, across runs on shared machines.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tachi_bench {

struct Field {
  std::string name;
  double value;
};

/// Prints one result line.
void report(const std::string& name, double ns_per_op, std::vector<Field> extra = {});

/// Runs `operation(count)` with growing counts until one run takes at least `minimum`, then
/// returns nanoseconds per operation of the best of `repeats` runs at that count. `operation`
/// must perform `count` operations.
double measure(const std::function<void(std::uint64_t count)>& operation,
               std::chrono::milliseconds minimum = std::chrono::milliseconds(200), int repeats = 5);

/// Keeps the compiler from optimising a value away.
template <typename Value>
inline void keep(Value const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

using Benchmark = std::function<void()>;
struct Registration {
  Registration(std::string group, Benchmark benchmark);
};

}  // namespace tachi_bench

#define TACHI_BENCH_CONCAT_INNER(a, b) a##b
#define TACHI_BENCH_CONCAT(a, b) TACHI_BENCH_CONCAT_INNER(a, b)
/// Defines a benchmark group; its body calls tachi_bench::report for each result.
#define TACHI_BENCHMARK(group)                                                                \
  static void TACHI_BENCH_CONCAT(tachi_bench_body_, __LINE__)();                              \
  static const ::tachi_bench::Registration TACHI_BENCH_CONCAT(                                \
      tachi_bench_registration_, __LINE__)(group,                                             \
                                           &TACHI_BENCH_CONCAT(tachi_bench_body_, __LINE__)); \
  static void TACHI_BENCH_CONCAT(tachi_bench_body_, __LINE__)()
