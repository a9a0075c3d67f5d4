// Stress: thousands of concurrent tasks on a multi-threaded io_context, each its own trace. Every
// exported span must belong to the task that made it: zero bleed.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "support/asio_support.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using tachi_trace::testing::MemoryProvider;
namespace net = boost::asio;

namespace {

constexpr int task_count = 10'000;
constexpr int steps_per_task = 2;
// The root, then per step a "step" span and the "db.select" span nested in it.
constexpr int spans_per_task = 1 + 2 * steps_per_task;

/// Shared by every task; each task writes only its own entries.
struct StressRun {
  explicit StressRun(MemoryProvider& provider) : memory(provider), roots(task_count) {}

  MemoryProvider& memory;
  std::vector<SpanContext> roots;
  std::atomic<int> live_mismatches{0};

  /// Counts a mismatch when the code running now does not see task `index`'s trace.
  void expect_own_trace(int index) {
    if (current_trace_id() != roots[index].trace_id) ++live_mismatches;
  }
};

net::awaitable<void> random_pause(std::minstd_rand& random) {
  auto pause = std::chrono::microseconds(random() % 300);
  co_await testing::sleep_for(pause);
}

net::awaitable<int> leaf(StressRun& run, int index, std::minstd_rand& random) {
  co_await random_pause(random);
  run.expect_own_trace(index);
  span_attribute("task.index", index);
  co_return index;
}

net::awaitable<void> step(StressRun& run, int index, std::minstd_rand& random) {
  co_await random_pause(random);
  span_attribute("task.index", index);
  QueryOptions options{.tracer = &run.memory.tracer};
  int seen = co_await traced_query("select", "stress", leaf(run, index, random), options);
  if (seen != index) ++run.live_mismatches;
  run.expect_own_trace(index);
}

net::awaitable<void> stress_task(StressRun& run, int index) {
  std::minstd_rand random(static_cast<std::uint32_t>(index) + 1);
  SpanStartOptions options;
  options.parent = Context();
  options.attributes = {{"task.index", index}};
  auto root = run.memory.tracer.start_span("task", options);
  run.roots[index] = root.context();
  auto scope = root.activate();
  for (int step_index = 0; step_index < steps_per_task; ++step_index) {
    co_await random_pause(random);
    run.expect_own_trace(index);
    co_await traced("step", SpanKind::internal, step(run, index, random), {}, run.memory.tracer);
  }
}

std::int64_t task_index_of(const SpanData& span) {
  const AttributeValue* value = span.find_attribute("task.index");
  const std::int64_t* index = value != nullptr ? value->get_if<std::int64_t>() : nullptr;
  return index != nullptr ? *index : -1;
}

/// Every way a span can fail to belong to its task, counted.
struct BleedReport {
  int roots = 0;
  int unknown_trace = 0;
  int wrong_task_index = 0;
  int parent_outside_trace = 0;
  int traces_with_wrong_size = 0;
};

BleedReport check_bleed(const std::vector<StoredSpan>& spans, const StressRun& run) {
  std::map<std::string, std::int64_t> task_of_trace;
  for (int index = 0; index < task_count; ++index)
    task_of_trace[run.roots[index].trace_id.to_hex()] = index;
  std::map<std::string, std::set<std::string>> span_ids_of_trace;
  for (const auto& span : spans)
    span_ids_of_trace[span.data.context.trace_id.to_hex()].insert(
        span.data.context.span_id.to_hex());

  BleedReport report;
  for (const auto& stored : spans) {
    const SpanData& span = stored.data;
    auto task = task_of_trace.find(span.context.trace_id.to_hex());
    if (task == task_of_trace.end()) {
      ++report.unknown_trace;
      continue;
    }
    if (task_index_of(span) != task->second) ++report.wrong_task_index;
    if (!span.has_parent()) {
      ++report.roots;
      continue;
    }
    const auto& siblings = span_ids_of_trace[span.context.trace_id.to_hex()];
    if (siblings.count(span.parent_span_id.to_hex()) == 0) ++report.parent_outside_trace;
  }
  for (const auto& [trace, ids] : span_ids_of_trace)
    if (ids.size() != spans_per_task) ++report.traces_with_wrong_size;
  return report;
}

}  // namespace

TEST_CASE("10,000 concurrent tasks on four threads: every span stays in its own task's trace") {
  MemoryProvider memory(testing::roomy_settings());
  StressRun run(memory);
  net::io_context io;
  for (int index = 0; index < task_count; ++index)
    tachi_trace::co_spawn(io, stress_task(run, index), net::detached);
  testing::run_on_threads(io, 4);

  auto spans = testing::exported(memory);
  auto counters = memory.provider.counters();
  CHECK(counters.spans_ended == task_count * spans_per_task);
  CHECK(counters.exporters.at(0).dropped == 0);
  REQUIRE(spans.size() == task_count * spans_per_task);
  CHECK(run.live_mismatches == 0);

  BleedReport report = check_bleed(spans, run);
  CHECK(report.roots == task_count);
  CHECK(report.unknown_trace == 0);
  CHECK(report.wrong_task_index == 0);
  CHECK(report.parent_outside_trace == 0);
  CHECK(report.traces_with_wrong_size == 0);
}
