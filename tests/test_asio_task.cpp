// The task executor and the co_spawn helper: which context code sees, on which thread, when.
#include <atomic>
#include <boost/asio/defer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "support/asio_support.hpp"
#include "tachi_trace/task.hpp"

using namespace tachi_trace;
using tachi_trace::testing::MemoryProvider;
namespace net = boost::asio;
using IoTaskExecutor = TaskExecutor<net::io_context::executor_type>;

static_assert(net::execution::is_executor<IoTaskExecutor>::value);
static_assert(std::is_constructible_v<net::any_io_executor, IoTaskExecutor>);
static_assert(
    net::execution::is_executor<TaskExecutor<net::strand<net::io_context::executor_type>>>::value);
static_assert(net::execution::is_executor<TaskExecutor<net::any_io_executor>>::value);

namespace {

ContextSlot* active_task_slot() {
  return detail::active_task_slot_variable();
}

}  // namespace

TEST_CASE("a task executor forwards properties and keeps its slot through require and prefer") {
  net::io_context io;
  TaskSlotRef slot = TaskSlot::make(Context());
  IoTaskExecutor executor(io.get_executor(), slot);

  CHECK(&net::query(executor, net::execution::context) == &io);
  CHECK(&executor.context() == &io);
  CHECK(net::query(executor, net::execution::blocking) == net::execution::blocking.possibly);

  auto never = net::require(executor, net::execution::blocking.never);
  CHECK(net::query(never, net::execution::blocking) == net::execution::blocking.never);
  CHECK(never.slot() == slot);

  auto tracked = net::prefer(executor, net::execution::outstanding_work.tracked);
  CHECK(net::query(tracked, net::execution::outstanding_work) ==
        net::execution::outstanding_work.tracked);
  CHECK(tracked.slot() == slot);

  CHECK(executor == IoTaskExecutor(io.get_executor(), slot));
  CHECK_FALSE(executor == IoTaskExecutor(io.get_executor(), TaskSlot::make(Context())));

  net::any_io_executor erased = executor;
  REQUIRE(erased.target<IoTaskExecutor>() != nullptr);
  CHECK(erased.target<IoTaskExecutor>()->slot() == slot);
}

TEST_CASE("post, dispatch and defer run with the task's slot and restore the thread's afterwards") {
  net::io_context io;
  TaskSlotRef slot = TaskSlot::make(Context());
  net::any_io_executor executor = IoTaskExecutor(io.get_executor(), slot);
  std::vector<ContextSlot*> seen;
  net::post(executor, [&] { seen.push_back(active_task_slot()); });
  net::dispatch(executor, [&] { seen.push_back(active_task_slot()); });
  net::defer(executor, [&] { seen.push_back(active_task_slot()); });
  net::post(io, [&] { seen.push_back(active_task_slot()); });  // a plain function, between
  io.run();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0] == slot.get());
  CHECK(seen[1] == slot.get());
  CHECK(seen[2] == slot.get());
  CHECK(seen[3] == nullptr);
  CHECK(active_task_slot() == nullptr);
}

TEST_CASE("a dispatch that runs inline switches to the target task's slot and back") {
  net::io_context io;
  TaskSlotRef outer = TaskSlot::make(Context());
  TaskSlotRef inner = TaskSlot::make(Context());
  IoTaskExecutor outer_executor(io.get_executor(), outer);
  IoTaskExecutor inner_executor(io.get_executor(), inner);
  std::vector<ContextSlot*> seen;
  net::post(outer_executor, [&] {
    seen.push_back(active_task_slot());
    bool ran_inline = false;
    net::dispatch(inner_executor, [&] {
      ran_inline = true;
      seen.push_back(active_task_slot());
    });
    CHECK(ran_inline);  // inside the io_context, dispatch runs the function before returning
    seen.push_back(active_task_slot());
  });
  io.run();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == outer.get());
  CHECK(seen[1] == inner.get());
  CHECK(seen[2] == outer.get());
}

TEST_CASE("a task inherits the context current where it was spawned") {
  MemoryProvider memory;
  net::io_context io;
  auto spawner = memory.tracer.start_span("spawner");
  SpanId seen_in_task;
  SpanId child_parent;
  // Lambda coroutines are named so their closures outlive the tasks that refer to them.
  auto task = [&]() -> net::awaitable<void> {
    co_await testing::sleep_for(std::chrono::milliseconds(1));
    seen_in_task = current_span_id();
    auto child = memory.tracer.start_span("child");
    child_parent = child.data()->parent_span_id;
  };
  {
    auto scope = spawner.activate();
    tachi_trace::co_spawn(io, task(), net::detached);
  }
  io.run();  // the spawner's scope has ended by now: the task kept its own copy
  CHECK(seen_in_task == spawner.context().span_id);
  CHECK(child_parent == spawner.context().span_id);
  CHECK_FALSE(current_span_id().is_valid());
}

TEST_CASE("co_spawn with an explicit parent uses it, and an empty Context starts a root") {
  MemoryProvider memory;
  net::io_context io;
  auto around = memory.tracer.start_span("around");
  auto chosen = memory.tracer.start_span("chosen", {.parent = Context()});
  auto scope = around.activate();
  SpanId under_chosen;
  bool root_has_parent = true;
  auto under = [&]() -> net::awaitable<void> {
    under_chosen = current_span_id();
    co_return;
  };
  auto root = [&]() -> net::awaitable<void> {
    auto root_span = memory.tracer.start_span("root");
    root_has_parent = root_span.data()->has_parent();
    co_return;
  };
  tachi_trace::co_spawn(io, Context(chosen), under(), net::detached);
  tachi_trace::co_spawn(io.get_executor(), Context(), root(), net::detached);
  io.run();
  CHECK(under_chosen == chosen.context().span_id);
  CHECK_FALSE(root_has_parent);
}

TEST_CASE("scopes held across co_await stay with their task while tasks interleave on a thread") {
  MemoryProvider memory;
  net::io_context io;  // run by this thread alone: the tasks interleave at every co_await
  std::atomic<int> mismatches{0};
  std::atomic<int> checks{0};
  auto task = [&](int index) -> net::awaitable<void> {
    auto span = memory.tracer.start_span("task " + std::to_string(index), {.parent = Context()});
    auto scope = span.activate();
    for (int step = 0; step < 20; ++step) {
      co_await testing::sleep_for(std::chrono::microseconds(100 * ((index + step) % 3)));
      ++checks;
      if (current_span_id() != span.context().span_id) ++mismatches;
      auto nested = memory.tracer.start_span("step");
      if (nested.data()->parent_span_id != span.context().span_id) ++mismatches;
    }
  };
  for (int index = 0; index < 8; ++index)
    tachi_trace::co_spawn(io, task(index), net::detached);
  SpanId seen_between;
  net::post(io, [&] { seen_between = current_span_id(); });
  io.run();
  CHECK(checks == 8 * 20);
  CHECK(mismatches == 0);
  CHECK_FALSE(seen_between.is_valid());
  CHECK_FALSE(current_span_id().is_valid());
}

TEST_CASE("a task keeps its context on every thread that resumes it") {
  MemoryProvider memory;
  net::io_context io;
  std::atomic<int> mismatches{0};
  std::mutex threads_mutex;
  std::set<std::thread::id> threads;
  auto task = [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("hopping", {.parent = Context()});
    auto scope = span.activate();
    for (int step = 0; step < 200; ++step) {
      co_await net::post(net::use_awaitable);  // a fresh trip through the queue: any thread
      if (current_span_id() != span.context().span_id) ++mismatches;
      std::lock_guard guard(threads_mutex);
      threads.insert(testing::this_thread_id());
    }
  };
  for (int index = 0; index < 16; ++index)
    tachi_trace::co_spawn(io, task(), net::detached);
  testing::run_on_threads(io, 4);
  INFO("threads that resumed tasks: " << threads.size());
  CHECK(mismatches == 0);
}

TEST_CASE("a task that outlives its spawner keeps the spawner's context") {
  MemoryProvider memory;
  net::io_context io;
  SpanContext spawner_context;
  SpanId late_parent;
  TraceId late_trace;
  auto child = [&]() -> net::awaitable<void> {
    co_await testing::sleep_for(std::chrono::milliseconds(20));
    auto late = memory.tracer.start_span("late");
    late_parent = late.data()->parent_span_id;
    late_trace = late.context().trace_id;
  };
  auto spawner = [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("spawner", {.parent = Context()});
    spawner_context = span.context();
    auto scope = span.activate();
    tachi_trace::co_spawn(co_await net::this_coro::executor, child(), net::detached);
  };  // the spawner ends its span and finishes long before the child wakes up
  tachi_trace::co_spawn(io, spawner(), net::detached);
  testing::run_on_threads(io, 2);
  CHECK(late_parent == spawner_context.span_id);
  CHECK(late_trace == spawner_context.trace_id);
}

TEST_CASE("a child spawned from a task gets a slot of its own, on the unwrapped executor") {
  MemoryProvider memory;
  net::io_context io;
  ContextSlot* parent_slot = nullptr;
  ContextSlot* child_slot = nullptr;
  bool child_executor_unwrapped = false;
  SpanId parent_sees_after;
  SpanId parent_span;
  auto child = [&]() -> net::awaitable<void> {
    child_slot = active_task_slot();
    auto executor = co_await net::this_coro::executor;
    child_executor_unwrapped = executor.target<IoTaskExecutor>() != nullptr;
    auto child_span = memory.tracer.start_span("child");
    auto child_scope = child_span.activate();
    co_await testing::sleep_for(std::chrono::milliseconds(5));
  };
  auto parent = [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("parent", {.parent = Context()});
    parent_span = span.context().span_id;
    auto scope = span.activate();
    parent_slot = active_task_slot();
    tachi_trace::co_spawn(co_await net::this_coro::executor, child(), net::detached);
    co_await testing::sleep_for(std::chrono::milliseconds(1));  // the child holds its scope now
    parent_sees_after = current_span_id();
  };
  tachi_trace::co_spawn(io, parent(), net::detached);
  io.run();
  CHECK(parent_slot != nullptr);
  CHECK(child_slot != nullptr);
  CHECK(child_slot != parent_slot);
  CHECK(child_executor_unwrapped);
  CHECK(parent_sees_after == parent_span);
}

TEST_CASE("tasks on a strand each keep their own context") {
  MemoryProvider memory;
  net::io_context io;
  auto strand = net::make_strand(io);
  std::atomic<int> mismatches{0};
  std::atomic<int> outside_strand{0};
  auto task = [&](int index) -> net::awaitable<void> {
    auto span = memory.tracer.start_span("on strand", {.parent = Context()});
    auto scope = span.activate();
    for (int step = 0; step < 10; ++step) {
      co_await testing::sleep_for(std::chrono::microseconds(50 * ((index * 7 + step) % 4)));
      if (!strand.running_in_this_thread()) ++outside_strand;
      if (current_span_id() != span.context().span_id) ++mismatches;
    }
  };
  for (int index = 0; index < 12; ++index)
    tachi_trace::co_spawn(strand, task(index), net::detached);
  testing::run_on_threads(io, 3);
  CHECK(mismatches == 0);
  CHECK(outside_strand == 0);
}

TEST_CASE("a coroutine started with plain asio::co_spawn sees the thread's context") {
  MemoryProvider memory;
  net::io_context io;
  auto thread_span = memory.tracer.start_span("thread");
  auto scope = thread_span.activate();
  SpanId seen;
  ContextSlot* slot_seen = reinterpret_cast<ContextSlot*>(1);
  auto plain = [&]() -> net::awaitable<void> {
    seen = current_span_id();
    slot_seen = active_task_slot();
    co_return;
  };
  net::co_spawn(io, plain(), net::detached);
  io.run();
  CHECK(seen == thread_span.context().span_id);
  CHECK(slot_seen == nullptr);
}

TEST_CASE("in_current_task shares the running task's slot; outside a task it makes a new one") {
  net::io_context io;
  TaskSlotRef task_slot = TaskSlot::make(Context());
  TaskSlotRef shared;
  net::post(IoTaskExecutor(io.get_executor(), task_slot),
            [&] { shared = in_current_task(io.get_executor()).slot(); });
  io.run();
  CHECK(shared == task_slot);

  MemoryProvider memory;
  auto span = memory.tracer.start_span("outside");
  auto scope = span.activate();
  auto fresh = in_current_task(io.get_executor());
  REQUIRE(fresh.slot());
  CHECK(fresh.slot().get()->get().span_context().span_id == span.context().span_id);
}
