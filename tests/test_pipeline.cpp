#include <sched.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace std::chrono_literals;

namespace {

/// An exporter whose behaviour a test steers: it can hold every call until released, fail, or
/// report rejected spans. It remembers batch sizes.
class ControlledExporter final : public SpanExporter {
 public:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    bool held = false;
    bool hang_until_cancelled = false;
    bool cancelled = false;
    bool fail = false;
    std::uint64_t reject_per_batch = 0;
    std::vector<std::size_t> batch_sizes;
    std::size_t spans = 0;
    bool shut_down = false;
    int calls_waiting = 0;

    void release() {
      std::lock_guard guard(mutex);
      held = false;
      changed.notify_all();
    }
    bool wait_for_waiting_call(std::chrono::milliseconds timeout) {
      std::unique_lock lock(mutex);
      return changed.wait_for(lock, timeout, [&] { return calls_waiting > 0; });
    }
  };

  ControlledExporter(std::string name, std::shared_ptr<State> state)
      : name_(std::move(name)), state_(std::move(state)) {}

  std::string_view name() const noexcept override { return name_; }

  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    std::unique_lock lock(state_->mutex);
    ++state_->calls_waiting;
    state_->changed.notify_all();
    state_->changed.wait(lock, [&] {
      return state_->cancelled || (!state_->held && !state_->hang_until_cancelled);
    });
    --state_->calls_waiting;
    state_->batch_sizes.push_back(batch.spans.size());
    if (state_->cancelled) return ExportResult::failure("cancelled");
    if (state_->fail) return ExportResult::failure("backend said no");
    state_->spans += batch.spans.size();
    ExportResult result = ExportResult::success();
    result.rejected_spans = state_->reject_per_batch;
    return result;
  }

  void shutdown(Deadline) noexcept override {
    std::lock_guard guard(state_->mutex);
    state_->shut_down = true;
  }

  void cancel() noexcept override {
    std::lock_guard guard(state_->mutex);
    state_->cancelled = true;
    state_->changed.notify_all();
  }

 private:
  std::string name_;
  std::shared_ptr<State> state_;
};

ProviderSettings settings_with(BatchSettings batch) {
  ProviderSettings settings;
  settings.batch = batch;
  return settings;
}

void end_spans(const Tracer& tracer, int count) {
  for (int index = 0; index < count; ++index)
    tracer.start_span("span").end();
}

/// One exporter that holds every export call until released; a queue of 10 spans, batches of 5,
/// and no timed export.
struct HeldPipeline {
  HeldPipeline() {
    state->held = true;
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(std::make_unique<ControlledExporter>("held", state));
    provider.emplace(
        settings_with({.schedule_delay = 3600s, .max_queue_size = 10, .max_export_batch_size = 5}),
        std::move(exporters));
    tracer = provider->tracer("test");
  }

  std::shared_ptr<ControlledExporter::State> state = std::make_shared<ControlledExporter::State>();
  std::optional<TracerProvider> provider;
  Tracer tracer;
};

/// Waits (up to 10 s) until the threads' buffers hold `expected` spans in all.
bool queued_in_lanes_becomes(const TracerProvider& provider, std::uint64_t expected) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (provider.counters().spans_queued == expected) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

void check_every_exporter_accounts_for_every_span(const PipelineCounters& counters) {
  for (const auto& exporter : counters.exporters) {
    INFO("exporter " << exporter.name);
    CHECK(exporter.exported + exporter.dropped == counters.spans_ended);
  }
}

/// How many of this process's threads bear `name` (Linux names, as `ps -L` shows them), once
/// that is `expected` or 10 s have passed: a thread names itself when it starts.
int threads_named(const std::string& name, int expected) {
  int count = 0;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    count = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string line;
      if (std::getline(comm, line) && line == name) ++count;
    }
    if (count == expected) break;
    std::this_thread::sleep_for(10ms);
  }
  return count;
}

}  // namespace

TEST_CASE("the pipeline's threads are named for the collector and for each exporter") {
  auto state = std::make_shared<ControlledExporter::State>();
  {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(std::make_unique<ControlledExporter>("audit", state));
    exporters.push_back(std::make_unique<ControlledExporter>("a-very-long-exporter-name", state));
    TracerProvider provider({}, std::move(exporters));
    CHECK(threads_named("tachi-collector", 1) == 1);
    CHECK(threads_named("tachi-audit", 1) == 1);
    CHECK(threads_named("tachi-a-very-lo", 1) == 1);  // Linux keeps 15 characters
  }
  // Shutting the provider down joined them.
  CHECK(threads_named("tachi-collector", 0) == 0);
  CHECK(threads_named("tachi-audit", 0) == 0);
}

TEST_CASE("ended spans reach the exporter in batches no larger than the batch size") {
  auto state = std::make_shared<ControlledExporter::State>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("controlled", state));
  TracerProvider provider(settings_with({.max_queue_size = 1000, .max_export_batch_size = 64}),
                          std::move(exporters));
  end_spans(provider.tracer("test"), 300);
  REQUIRE(provider.force_flush(10s));
  std::lock_guard guard(state->mutex);
  CHECK(state->spans == 300);
  for (auto size : state->batch_sizes)
    CHECK(size <= 64);
  auto counters = provider.counters();
  CHECK(counters.spans_started == 300);
  CHECK(counters.spans_ended == 300);
  CHECK(counters.exporters.at(0).exported == 300);
  CHECK(counters.exporters.at(0).dropped == 0);
}

TEST_CASE("spans are exported after the schedule delay without any flush") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(settings_with({.schedule_delay = 50ms}), std::move(exporters));
  end_spans(provider.tracer("test"), 3);
  CHECK(store->wait_for(3, 10s));
}

TEST_CASE("a full batch wakes the export before the schedule delay") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(settings_with({.schedule_delay = 3600s, .max_export_batch_size = 16}),
                          std::move(exporters));
  end_spans(provider.tracer("test"), 16);
  CHECK(store->wait_for(16, 10s));
}

TEST_CASE("a full queue drops spans and counts them; nothing is lost unaccounted") {
  HeldPipeline held;
  auto& state = held.state;
  TracerProvider& provider = *held.provider;
  const Tracer& tracer = held.tracer;
  end_spans(tracer, 5);
  REQUIRE(state->wait_for_waiting_call(10s));  // the exporter now holds one batch of 5
  end_spans(tracer, 100);
  state->release();
  REQUIRE(provider.shutdown(10s));
  auto counters = provider.counters();
  CHECK(counters.spans_ended == 105);
  CHECK(counters.spans_dropped_before_export > 0);
  CHECK(counters.exporters.at(0).dropped > 0);
  CHECK(counters.exporters.at(0).exported <= 25);
  check_every_exporter_accounts_for_every_span(counters);
}

TEST_CASE("a dropped span's record is reused by its thread, but never while a handle holds it") {
  HeldPipeline held;
  end_spans(held.tracer, 5);
  REQUIRE(held.state->wait_for_waiting_call(10s));  // the exporter now holds one batch of 5
  // The exporter's queue (10 spans) and this thread's buffer (10) fill up; the rest is dropped.
  end_spans(held.tracer, 40);
  // Dropped while still referenced: its record must keep this span's data.
  SpanRef kept;
  {
    auto span = held.tracer.start_span("kept");
    span.set_attribute("order", 1);
    kept = span;
  }
  // Dropped too; each reuses a record the thread kept from a drop, never the one still held.
  for (int index = 0; index < 20; ++index)
    held.tracer.start_span("dropped").set_attribute("order", 2);
  CHECK(kept.data()->name == "kept");
  CHECK(kept.data()->attributes == Attributes{{"order", 1}});
  held.state->release();
  REQUIRE(held.provider->shutdown(10s));
  auto counters = held.provider->counters();
  CHECK(counters.spans_ended == 5 + 40 + 1 + 20);
  CHECK(counters.spans_dropped_before_export >= 66 - 25);
  check_every_exporter_accounts_for_every_span(counters);
  CHECK(kept.data()->name == "kept");
}

TEST_CASE("force_flush exports every span ended before it, from every thread") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(settings_with({.schedule_delay = 3600s}), std::move(exporters));
  Tracer tracer = provider.tracer("test");
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread)
    threads.emplace_back([&] { end_spans(tracer, 250); });
  for (auto& thread : threads)
    thread.join();
  REQUIRE(provider.force_flush(10s));
  CHECK(store->size() == 1000);
}

TEST_CASE("records recycled through batches mixing several threads carry only their own span") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  // Batches of 7 take stretches from several threads' buffers at once, so a batch hands records
  // back to more than one thread.
  TracerProvider provider(settings_with({.schedule_delay = 3600s, .max_export_batch_size = 7}),
                          std::move(exporters));
  Tracer tracer = provider.tracer("test");
  constexpr int thread_count = 4;
  constexpr int rounds = 5;
  constexpr int spans_per_round = 60;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::thread> threads;
    for (int thread = 0; thread < thread_count; ++thread) {
      threads.emplace_back([&, thread] {
        for (int index = 0; index < spans_per_round; ++index) {
          // Shapes differ by thread, so a record reused by another thread would show it.
          auto span = tracer.start_span("t" + std::to_string(thread));
          span.set_attribute("thread", static_cast<std::int64_t>(thread));
          if (thread % 2 == 0)
            span.set_attribute("even.thread.text", "even-" + std::to_string(index));
          span.set_attribute("index", static_cast<std::int64_t>(index));
        }
      });
    }
    for (auto& thread : threads)
      thread.join();
    REQUIRE(provider.force_flush(10s));
  }
  auto spans = store->spans();
  REQUIRE(spans.size() == thread_count * rounds * spans_per_round);
  for (const auto& stored : spans) {
    const int thread = stored.data.name[1] - '0';
    const auto* index = stored.data.find_attribute("index");
    REQUIRE(index != nullptr);
    Attributes expected{{"thread", static_cast<std::int64_t>(thread)}};
    if (thread % 2 == 0)
      expected.push_back(
          {"even.thread.text", "even-" + std::to_string(*index->get_if<std::int64_t>())});
    expected.push_back({"index", *index});
    REQUIRE(stored.data.attributes == expected);
  }
}

TEST_CASE("spans ended on threads that have exited are still exported") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(settings_with({.schedule_delay = 20ms}), std::move(exporters));
  Tracer tracer = provider.tracer("test");
  for (int round = 0; round < 20; ++round)
    std::thread([&] { end_spans(tracer, 5); }).join();
  REQUIRE(store->wait_for(100, 10s));
  std::this_thread::sleep_for(100ms);  // let the collector retire the exited threads' buffers
  auto counters = provider.counters();
  CHECK(counters.spans_started == 100);
  CHECK(counters.spans_ended == 100);
  CHECK(counters.exporters.at(0).exported == 100);
}

TEST_CASE("shutdown exports what was ended, then drops and counts later spans") {
  auto state = std::make_shared<ControlledExporter::State>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("controlled", state));
  TracerProvider provider(settings_with({.schedule_delay = 3600s}), std::move(exporters));
  Tracer tracer = provider.tracer("test");
  end_spans(tracer, 7);
  CHECK(provider.shutdown(10s));
  CHECK(provider.shutdown(10s));  // idempotent
  CHECK_FALSE(provider.force_flush(1s));
  end_spans(tracer, 3);
  {
    std::lock_guard guard(state->mutex);
    CHECK(state->spans == 7);
    CHECK(state->shut_down);
  }
  auto counters = provider.counters();
  CHECK(counters.spans_ended == 10);
  CHECK(counters.exporters.at(0).exported == 7);
  CHECK(counters.exporters.at(0).dropped == 3);
}

TEST_CASE("spans wait in their lane while the exporter's queue is full: a burst fills both first") {
  HeldPipeline held;
  auto& state = held.state;
  TracerProvider& provider = *held.provider;
  const Tracer& tracer = held.tracer;
  end_spans(tracer, 5);
  REQUIRE(state->wait_for_waiting_call(10s));  // one batch of 5 in the exporter
  for (int batch = 0; batch < 2; ++batch) {    // one batch at a time, so each moves on whole
    end_spans(tracer, 5);
    REQUIRE(queued_in_lanes_becomes(provider, 0));
  }
  // The exporter's queue is full (10). The next 10 spans stay in the lane.
  end_spans(tracer, 10);

  std::this_thread::sleep_for(200ms);  // time for the collector to act, if it were to
  auto counters = provider.counters();
  CHECK(counters.spans_queued == 10);  // held back in the lane, not dropped at the exporter
  CHECK(counters.exporters.at(0).dropped == 0);
  end_spans(tracer, 1);  // the lane is full: this one is dropped
  CHECK(provider.counters().spans_dropped_before_export == 1);
  state->release();
  REQUIRE(provider.shutdown(10s));  // its flush takes what the lane held back

  counters = provider.counters();
  CHECK(counters.spans_ended == 26);

  CHECK(counters.exporters.at(0).exported == 25);
  CHECK(counters.exporters.at(0).dropped == 1);
  check_every_exporter_accounts_for_every_span(counters);
}

/// Restricts the calling thread, and the threads it starts from now on, to the processor it runs
/// on; the previous set is restored on destruction.
class OneProcessor {
 public:
  OneProcessor() {
    REQUIRE(sched_getaffinity(0, sizeof(previous_), &previous_) == 0);
    cpu_set_t only;
    CPU_ZERO(&only);
    CPU_SET(sched_getcpu(), &only);
    REQUIRE(sched_setaffinity(0, sizeof(only), &only) == 0);
  }
  OneProcessor(const OneProcessor&) = delete;
  OneProcessor& operator=(const OneProcessor&) = delete;
  ~OneProcessor() { sched_setaffinity(0, sizeof(previous_), &previous_); }

 private:
  cpu_set_t previous_;
};

TEST_CASE("a producer that keeps the only processor busy lets the export threads drain its lane") {
  // One processor for the producer, the collector and the exporter's thread: they run only when
  // the producer yields it (or is preempted, every few milliseconds, long after a lane of 256
  // spans has filled). Without the yield most of these spans would be dropped.
  OneProcessor one_processor;
  auto state = std::make_shared<ControlledExporter::State>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("counting", state));
  TracerProvider provider(
      settings_with({.schedule_delay = 3600s, .max_queue_size = 256, .max_export_batch_size = 64}),
      std::move(exporters));
  const Tracer tracer = provider.tracer("test");
  constexpr int spans = 20'000;
  for (int index = 0; index < spans; ++index) {
    auto span = tracer.start_span("busy");
    span.set_attribute("index", index);
  }
  REQUIRE(provider.shutdown(10s));
  const auto counters = provider.counters();
  CHECK(counters.spans_ended == spans);
  // A preemption at an unlucky moment may still cost a lane's worth; a producer that never let
  // the others run would lose nearly everything.
  CHECK(counters.spans_dropped_before_export <= 256);
  check_every_exporter_accounts_for_every_span(counters);
}

TEST_CASE("spans held back in a lane move on as soon as the exporter has room, without a flush") {
  HeldPipeline held;  // no timed export: only room in the queue can move the held-back spans
  auto& state = held.state;
  end_spans(held.tracer, 5);
  REQUIRE(state->wait_for_waiting_call(10s));  // one batch of 5 in the exporter
  for (int batch = 0; batch < 2; ++batch) {    // fills the exporter's queue (10)
    end_spans(held.tracer, 5);
    REQUIRE(queued_in_lanes_becomes(*held.provider, 0));
  }
  end_spans(held.tracer, 10);  // held back in the lane
  std::this_thread::sleep_for(100ms);
  REQUIRE(held.provider->counters().spans_queued == 10);
  state->release();
  bool all_exported = false;
  for (int attempt = 0; attempt < 1000 && !all_exported; ++attempt) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard guard(state->mutex);
    all_exported = state->spans == 25;
  }
  CHECK(all_exported);
  auto counters = held.provider->counters();
  CHECK(counters.spans_queued == 0);
  CHECK(counters.spans_dropped_before_export == 0);
  CHECK(counters.exporters.at(0).exported == 25);
}

TEST_CASE(
    "flushes against a stalled exporter neither wait for it nor grow its queue without bound") {
  HeldPipeline held;
  auto& state = held.state;
  TracerProvider& provider = *held.provider;
  end_spans(held.tracer, 5);
  REQUIRE(state->wait_for_waiting_call(10s));
  for (int round = 0; round < 5; ++round) {
    end_spans(held.tracer, 10);
    CHECK_FALSE(provider.force_flush(50ms));  // the exporter is held: the flush cannot finish
  }
  state->release();
  REQUIRE(provider.shutdown(10s));
  auto counters = provider.counters();
  CHECK(counters.spans_ended == 55);
  // In flight 5, then at most twice the queue (10) while flushing, and the lane's 10 at shutdown.
  CHECK(counters.exporters.at(0).exported <= 35);
  check_every_exporter_accounts_for_every_span(counters);
}

TEST_CASE("a stalled exporter blocks neither span creation nor the other exporters") {
  auto stalled = std::make_shared<ControlledExporter::State>();
  stalled->held = true;
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("stalled", stalled));
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(
      settings_with({.schedule_delay = 10ms, .max_queue_size = 64, .max_export_batch_size = 32}),
      std::move(exporters));
  Tracer tracer = provider.tracer("test");
  for (int round = 0; round < 50; ++round) {
    end_spans(tracer, 20);
    REQUIRE(store->wait_for(static_cast<std::size_t>(20 * (round + 1)), 10s));
  }
  stalled->release();
  REQUIRE(provider.shutdown(10s));
  auto counters = provider.counters();
  CHECK(counters.exporters.at(1).exported == 1000);
  CHECK(counters.exporters.at(0).dropped > 0);
  check_every_exporter_accounts_for_every_span(counters);
}

TEST_CASE("a failing exporter counts failed exports and dropped spans") {
  auto failing = std::make_shared<ControlledExporter::State>();
  failing->fail = true;
  auto partial = std::make_shared<ControlledExporter::State>();
  partial->reject_per_batch = 1;
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("failing", failing));
  exporters.push_back(std::make_unique<ControlledExporter>("partial", partial));
  TracerProvider provider(settings_with({.max_export_batch_size = 10}), std::move(exporters));
  end_spans(provider.tracer("test"), 30);
  provider.shutdown(10s);
  auto counters = provider.counters();
  CHECK(counters.exporters.at(0).name == "failing");
  CHECK(counters.exporters.at(0).exported == 0);
  CHECK(counters.exporters.at(0).dropped == 30);
  // The collector may wake while spans are still being ended, so the 30 spans come in at least
  // three batches; each failed batch counts once, each partly rejected batch loses one span.
  std::lock_guard failing_guard(failing->mutex);
  std::lock_guard partial_guard(partial->mutex);
  CHECK(counters.exporters.at(0).failed_exports == failing->batch_sizes.size());
  CHECK(failing->batch_sizes.size() >= 3);
  const std::uint64_t partial_batches = partial->batch_sizes.size();
  CHECK(partial_batches >= 3);
  CHECK(counters.exporters.at(1).exported == 30 - partial_batches);
  CHECK(counters.exporters.at(1).dropped == partial_batches);
}

TEST_CASE("shutdown returns within its timeout when an exporter hangs") {
  auto hanging = std::make_shared<ControlledExporter::State>();
  hanging->hang_until_cancelled = true;
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("hanging", hanging));
  TracerProvider provider(settings_with({.schedule_delay = 5ms}), std::move(exporters));
  end_spans(provider.tracer("test"), 5);
  REQUIRE(hanging->wait_for_waiting_call(10s));
  end_spans(provider.tracer("test"), 5);
  CHECK_FALSE(provider.shutdown(200ms));
  CHECK(hanging->cancelled);
  auto counters = provider.counters();
  CHECK(counters.exporters.at(0).exported == 0);
  check_every_exporter_accounts_for_every_span(counters);
}

TEST_CASE("under concurrent load every exporter accounts for every sampled span exactly") {
  auto slow = std::make_shared<ControlledExporter::State>();
  auto store = std::make_shared<InMemorySpanStore>(100'000);
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<ControlledExporter>("slow", slow));
  exporters.push_back(make_in_memory_exporter(store));
  TracerProvider provider(
      settings_with({.schedule_delay = 1ms, .max_queue_size = 128, .max_export_batch_size = 32}),
      std::move(exporters));
  Tracer tracer = provider.tracer("test");
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&] {
      for (int index = 0; index < 5000; ++index) {
        auto parent = tracer.start_span("parent");
        auto scope = parent.activate();
        tracer.start_span("child").end();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  REQUIRE(provider.shutdown(30s));
  auto counters = provider.counters();
  CHECK(counters.spans_started == 40000);
  CHECK(counters.spans_ended == 40000);
  check_every_exporter_accounts_for_every_span(counters);
  CHECK(store->size() == counters.exporters.at(1).exported);
}

TEST_CASE("OTEL_SDK_DISABLED gives a tracer that makes no spans but passes context through") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  ProviderSettings settings;
  settings.disabled = true;
  TracerProvider provider(settings, std::move(exporters));
  SpanContext remote{generate_trace_id(), generate_span_id(), TraceFlags(1), {}, true};
  auto span =
      provider.tracer("test").start_span("x", {.parent = Context(Span::non_recording(remote))});
  CHECK_FALSE(span.is_recording());
  CHECK(span.context().span_id == remote.span_id);
  span.end();
  provider.force_flush(5s);
  CHECK(store->size() == 0);
  CHECK(provider.counters().spans_started == 0);
}

TEST_CASE("a span that ends after its provider is gone is dropped safely") {
  Span survivor;
  {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(make_in_memory_exporter(std::make_shared<InMemorySpanStore>()));
    TracerProvider provider({}, std::move(exporters));
    survivor = provider.tracer("test").start_span("outlives");
  }
  survivor.set_attribute("still", "fine");
  std::thread([&] { survivor.end(); }).join();
  CHECK_FALSE(survivor.is_recording());
}
