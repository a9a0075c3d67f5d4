// Thread hops: offload to a thread pool and back, and what plain Asio hops do to the context.
#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include "support/asio_support.hpp"
#include "tachi_trace/awaitable_operators.hpp"
#include "tachi_trace/offload.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using tachi_trace::testing::exported;
using tachi_trace::testing::MemoryProvider;
using tachi_trace::testing::only_span_named;
using tachi_trace::testing::run_task;
using tachi_trace::testing::sleep_for;
using tachi_trace::testing::string_attribute;
namespace net = boost::asio;

namespace {

/// Where a piece of code ran and what it saw. Inlined into the coroutines on purpose: the context
/// must be read afresh after each resumption even when the compiler sees the reads.
struct Sighting {
  std::thread::id thread;
  SpanId span;
  ContextSlot* slot = nullptr;

  static Sighting here() {
    return {testing::this_thread_id(), current_span_id(), detail::active_task_slot_variable()};
  }
};

}  // namespace

TEST_CASE("offload runs on the pool with the task's context and resumes in the task") {
  MemoryProvider memory;
  net::io_context io;
  net::thread_pool pool(2);
  Sighting in_task, on_pool, after;
  SpanContext task_span;
  int value = run_task(io, [&]() -> net::awaitable<int> {
    auto span = memory.tracer.start_span("task", {.parent = Context()});
    task_span = span.context();
    auto scope = span.activate();
    in_task = Sighting::here();
    int result = co_await offload(pool, [&] {
      on_pool = Sighting::here();
      auto blocking = memory.tracer.start_span("blocking work");
      return 7;
    });
    after = Sighting::here();
    co_return result;
  }());
  CHECK(value == 7);
  CHECK(on_pool.thread != in_task.thread);
  CHECK(on_pool.span == task_span.span_id);
  CHECK(after.thread == in_task.thread);  // back on the io_context's (only) thread
  CHECK(after.slot == in_task.slot);
  CHECK(after.span == task_span.span_id);
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "blocking work").parent_span_id == task_span.span_id);
  pool.join();
}

TEST_CASE("offload inside traced_query parents the pool's spans to the query span") {
  MemoryProvider memory;
  net::io_context io;
  net::thread_pool pool(1);
  run_task(io, [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("handler", {.parent = Context()});
    auto scope = span.activate();
    co_await traced_query(
        "select", "specs",
        offload(pool, [&] { auto step = memory.tracer.start_span("sqlite3_step"); }),
        {.system = "sqlite", .tracer = &memory.tracer});
  }());
  auto spans = exported(memory);
  const SpanData& query = only_span_named(spans, "db.select");
  CHECK(only_span_named(spans, "sqlite3_step").parent_span_id == query.context.span_id);
  CHECK(query.parent_span_id == only_span_named(spans, "handler").context.span_id);
  pool.join();
}

TEST_CASE("offload hands back move-only values and rethrows exceptions in the task") {
  net::io_context io;
  net::thread_pool pool(1);
  std::unique_ptr<int> owned;
  std::string message;
  std::thread::id caught_on;
  run_task(io, [&]() -> net::awaitable<void> {
    owned = co_await offload(pool, [] { return std::make_unique<int>(5); });
    try {
      co_await offload(pool, []() -> int { throw std::invalid_argument("no such spec"); });
    } catch (const std::invalid_argument& error) {
      message = error.what();
      caught_on = testing::this_thread_id();
    }
  }());
  REQUIRE(owned != nullptr);
  CHECK(*owned == 5);
  CHECK(message == "no such spec");
  CHECK(caught_on == std::this_thread::get_id());  // (outside any coroutine)
  pool.join();
}

TEST_CASE("the io_context keeps running while offloaded work is in progress") {
  net::io_context io;
  net::thread_pool pool(1);
  bool finished = false;
  auto task = [&]() -> net::awaitable<void> {
    co_await offload(pool, [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });
    finished = true;
  };
  tachi_trace::co_spawn(io, task(), net::detached);
  io.run();  // returns only when out of work: the offload must count as work
  CHECK(finished);
  pool.join();
}

namespace {

/// Keeps a one-thread pool's thread busy until released (5 s at most, so that a test whose
/// cancellation fails ends rather than hangs), so that what is offloaded next waits in its queue.
class PoolBlocker {
 public:
  explicit PoolBlocker(net::thread_pool& pool) {
    std::promise<void> started;
    auto running = started.get_future();
    net::post(pool, [this, &started] {
      started.set_value();
      released_.wait_for(std::chrono::seconds(5));
    });
    running.wait();
  }
  PoolBlocker(const PoolBlocker&) = delete;
  PoolBlocker& operator=(const PoolBlocker&) = delete;
  ~PoolBlocker() { release(); }
  void release() {
    if (!done_) release_.set_value();
    done_ = true;
  }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  bool done_ = false;
};

}  // namespace

TEST_CASE("cancelling an offload withdraws work still queued: it never runs") {
  net::io_context io;
  net::thread_pool pool(1);
  PoolBlocker blocker(pool);
  std::atomic<bool> ran{false};
  std::string outcome;
  auto task = [&]() -> net::awaitable<void> {
    try {
      co_await offload(pool, [&] { ran = true; });
      outcome = "completed";
    } catch (const boost::system::system_error& error) {
      outcome = error.code() == net::error::operation_aborted ? "operation_aborted" : error.what();
    }
  };
  net::cancellation_signal signal;
  net::co_spawn(io, task(), net::bind_cancellation_slot(signal.slot(), net::detached));
  io.poll();  // the offload is queued behind the blocker
  REQUIRE(outcome.empty());

  signal.emit(net::cancellation_type::terminal);
  io.run();  // returns once the task is done, while the pool's thread is still blocked

  CHECK(outcome == "operation_aborted");
  blocker.release();
  pool.join();
  CHECK_FALSE(ran);
}

TEST_CASE("cancelling an offload that is running waits for it and delivers its result") {
  // The function may refer to the coroutine's locals, so it is never abandoned while it runs.
  net::io_context io;
  net::thread_pool pool(1);
  std::promise<void> started, release;
  auto running = started.get_future();
  auto released = release.get_future();
  std::atomic<bool> finished{false};
  std::promise<int> result;
  auto task = [&]() -> net::awaitable<void> {
    int local = 40;
    int value = co_await offload(pool, [&] {
      started.set_value();
      released.wait();
      finished = true;
      return local + 2;
    });
    result.set_value(value);
  };
  net::cancellation_signal signal;
  net::co_spawn(io, task(), net::bind_cancellation_slot(signal.slot(), net::detached));
  std::thread io_thread([&] { io.run(); });
  running.wait();

  std::promise<void> emitted;
  net::post(io, [&] {
    signal.emit(net::cancellation_type::all);
    emitted.set_value();
  });
  emitted.get_future().wait();
  auto delivered = result.get_future();
  CHECK(delivered.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  release.set_value();

  CHECK(delivered.get() == 42);
  CHECK(finished);
  io_thread.join();
  pool.join();
}

TEST_CASE("a traced query timed out by || while queued on a busy pool is recorded as cancelled") {
  using namespace tachi_trace::awaitable_operators;
  MemoryProvider memory;
  net::io_context io;
  net::thread_pool pool(1);
  PoolBlocker blocker(pool);
  std::atomic<bool> ran{false};
  const auto winner = run_task(io, [&]() -> net::awaitable<std::size_t> {
    auto span = memory.tracer.start_span("request", {.parent = Context()});
    auto scope = span.activate();
    auto query = traced_query("select", "specs",
                              offload(pool,
                                      [&] {
                                        ran = true;
                                        return 1;
                                      }),
                              {.tracer = &memory.tracer});
    auto first = co_await (std::move(query) || sleep_for(std::chrono::milliseconds(20)));
    co_return first.index();
  }());
  blocker.release();
  pool.join();

  CHECK(winner == 1);  // the timeout
  CHECK_FALSE(ran);
  auto spans = exported(memory);
  const SpanData& query = only_span_named(spans, "db.select");
  CHECK(query.status.code == StatusCode::error);
  CHECK(query.status.description == "cancelled");
  CHECK(query.parent_span_id == only_span_named(spans, "request").context.span_id);
}

TEST_CASE("post(pool, use_awaitable) keeps the context: it resumes on the task's executor") {
  MemoryProvider memory;
  net::io_context io;
  net::thread_pool pool(1);
  Sighting before, after;
  run_task(io, [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("task", {.parent = Context()});
    auto scope = span.activate();
    before = Sighting::here();
    co_await net::post(pool, net::use_awaitable);
    after = Sighting::here();
  }());
  CHECK(after.thread == before.thread);
  CHECK(after.span == before.span);
  CHECK(after.slot == before.slot);
  pool.join();
}

TEST_CASE("a real hop with bind_executor loses the context on the pool unless wrapped") {
  MemoryProvider memory;
  net::io_context io;
  net::thread_pool pool(1);
  Sighting start, plain_on_pool, plain_back, wrapped_on_pool, wrapped_back;
  SpanId made_on_pool;
  SpanId parent_of_late_span;
  run_task(io, [&]() -> net::awaitable<void> {
    auto span = memory.tracer.start_span("task", {.parent = Context()});
    auto scope = span.activate();
    start = Sighting::here();

    co_await net::post(net::bind_executor(pool, net::use_awaitable));
    plain_on_pool = Sighting::here();  // a pool thread that knows nothing of the task
    co_await net::post(net::use_awaitable);
    plain_back = Sighting::here();

    co_await net::post(
        net::bind_executor(in_current_task(pool.get_executor()), net::use_awaitable));
    wrapped_on_pool = Sighting::here();
    auto pool_span = memory.tracer.start_span("on pool");
    made_on_pool = pool_span.context().span_id;
    auto pool_scope = pool_span.activate();  // held across the hop back: stays with the task
    co_await net::post(net::use_awaitable);
    wrapped_back = Sighting::here();
    parent_of_late_span = memory.tracer.start_span("late").data()->parent_span_id;
  }());
  CHECK(plain_on_pool.thread != start.thread);
  CHECK_FALSE(plain_on_pool.span.is_valid());
  CHECK(plain_back.thread == start.thread);
  CHECK(plain_back.span == start.span);

  CHECK(wrapped_on_pool.thread != start.thread);
  CHECK(wrapped_on_pool.slot == start.slot);
  CHECK(wrapped_on_pool.span == start.span);
  CHECK(wrapped_back.thread == start.thread);
  CHECK(wrapped_back.span == made_on_pool);
  CHECK(parent_of_late_span == made_on_pool);
  pool.join();
}
