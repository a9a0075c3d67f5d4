#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

namespace tachi_bench {

namespace {
std::multimap<std::string, Benchmark>& registry() {
  static std::multimap<std::string, Benchmark> benchmarks;
  return benchmarks;
}
}  // namespace

Registration::Registration(std::string group, Benchmark benchmark) {
  registry().emplace(std::move(group), std::move(benchmark));
}

void report(const std::string& name, double ns_per_op, std::vector<Field> extra) {
  std::printf("{\"bench\": \"%s\", \"ns_per_op\": %.2f, \"ops_per_s\": %.0f", name.c_str(),
              ns_per_op, ns_per_op > 0 ? 1e9 / ns_per_op : 0.0);
  for (const auto& field : extra)
    std::printf(", \"%s\": %.4g", field.name.c_str(), field.value);
  std::printf("}\n");
  std::fflush(stdout);
}

double measure(const std::function<void(std::uint64_t count)>& operation,
               std::chrono::milliseconds minimum, int repeats) {
  using clock = std::chrono::steady_clock;
  std::uint64_t count = 1;
  while (true) {
    auto start = clock::now();
    operation(count);
    auto elapsed = clock::now() - start;
    if (elapsed >= minimum || count >= (std::uint64_t{1} << 40)) break;
    count *= 2;
  }
  double best = 1e300;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    auto start = clock::now();
    operation(count);
    double nanoseconds = std::chrono::duration<double, std::nano>(clock::now() - start).count();
    best = std::min(best, nanoseconds / static_cast<double>(count));
  }
  return best;
}

}  // namespace tachi_bench

int main(int argc, char** argv) {
  // tachi-bench [GROUP...]: run only the named groups (all when none is named); --list lists them.
  std::vector<std::string> wanted(argv + 1, argv + argc);
  if (!wanted.empty() && wanted[0] == "--list") {
    for (const auto& [group, benchmark] : tachi_bench::registry())
      std::printf("%s\n", group.c_str());
    return 0;
  }
  for (const auto& [group, benchmark] : tachi_bench::registry()) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), group) != wanted.end())
      benchmark();
  }
  return 0;
}
