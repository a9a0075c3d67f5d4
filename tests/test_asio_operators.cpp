// Parallel children: when_all, when_any and the && / || operators keep each child's context apart.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/asio_support.hpp"
#include "tachi_trace/awaitable_operators.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using namespace tachi_trace::awaitable_operators;
using tachi_trace::testing::exported;
using tachi_trace::testing::MemoryProvider;
using tachi_trace::testing::only_span_named;
using tachi_trace::testing::run_task;
using tachi_trace::testing::sleep_for;
namespace net = boost::asio;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

template <typename Value>
net::awaitable<Value> ready(Value value) {
  co_return value;
}

net::awaitable<void> nothing() {
  co_return;
}

// The result types of the operators are Asio's.
using Int = net::awaitable<int>;
using Text = net::awaitable<std::string>;
using Void = net::awaitable<void>;
static_assert(std::is_same_v<decltype(std::declval<Void>() && std::declval<Void>()), Void>);
static_assert(std::is_same_v<decltype(std::declval<Void>() && std::declval<Int>()), Int>);
static_assert(std::is_same_v<decltype(std::declval<Int>() && std::declval<Void>()), Int>);
static_assert(std::is_same_v<decltype(std::declval<Int>() && std::declval<Text>()),
                             net::awaitable<std::tuple<int, std::string>>>);
static_assert(
    std::is_same_v<decltype(std::declval<Int>() && std::declval<Text>() && std::declval<Int>()),
                   net::awaitable<std::tuple<int, std::string, int>>>);
static_assert(
    std::is_same_v<decltype(std::declval<Int>() && std::declval<Text>() && std::declval<Void>()),
                   net::awaitable<std::tuple<int, std::string, std::monostate>>>);
static_assert(std::is_same_v<decltype(std::declval<Int>() || std::declval<Void>()),
                             net::awaitable<std::variant<int, std::monostate>>>);
static_assert(
    std::is_same_v<decltype(std::declval<Int>() || std::declval<Text>() || std::declval<Int>()),
                   net::awaitable<std::variant<int, std::string, int>>>);

net::awaitable<void> record_current_after(milliseconds delay, SpanId& seen) {
  co_await sleep_for(delay);
  seen = current_span_id();
}

/// Records which child resumed when, to prove the children really interleaved.
struct ResumeLog {
  std::mutex mutex;
  std::string order;
  void add(char child) {
    std::lock_guard guard(mutex);
    order += child;
  }
};

bool interleaved(const std::string& order) {
  return order.find("ab") != std::string::npos && order.find("ba") != std::string::npos;
}

}  // namespace

TEST_CASE("children of && are parented to the awaiting span and never see each other's spans") {
  MemoryProvider memory;
  net::io_context io;  // one thread: the children interleave at every co_await
  ResumeLog log;
  std::atomic<int> mismatches{0};
  auto child = [&](char name, int offset) -> net::awaitable<int> {
    auto span = memory.tracer.start_span(std::string("child ") + name);
    auto scope = span.activate();
    for (int step = 0; step < 10; ++step) {
      co_await sleep_for(microseconds(300 * step + offset));
      log.add(name);
      if (current_span_id() != span.context().span_id) ++mismatches;
      auto work = memory.tracer.start_span(std::string("work ") + name);
      if (work.data()->parent_span_id != span.context().span_id) ++mismatches;
    }
    co_return offset;
  };
  SpanContext parent_context;
  SpanId after_group;
  std::tuple<int, int> results;
  run_task(io, [&]() -> net::awaitable<void> {
    auto parent = memory.tracer.start_span("parent", {.parent = Context()});
    parent_context = parent.context();
    auto scope = parent.activate();
    results = co_await (child('a', 0) && child('b', 150));
    after_group = current_span_id();
  }());
  CHECK(results == std::tuple<int, int>(0, 150));
  INFO("resume order: " << log.order);
  CHECK(interleaved(log.order));
  CHECK(mismatches == 0);
  CHECK(after_group == parent_context.span_id);
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "child a").parent_span_id == parent_context.span_id);
  CHECK(only_span_named(spans, "child b").parent_span_id == parent_context.span_id);
  CHECK(only_span_named(spans, "child a").context.trace_id == parent_context.trace_id);
}

TEST_CASE("traced children of && and || are siblings under the span where the group was awaited") {
  MemoryProvider memory;
  net::io_context io;
  SpanContext parent_context;
  SpanId seen_in_a;
  SpanId seen_in_b;
  run_task(io, [&]() -> net::awaitable<void> {
    auto parent = memory.tracer.start_span("parent", {.parent = Context()});
    parent_context = parent.context();
    auto scope = parent.activate();
    // Made before the group is awaited (a lambda coroutine would not outlive its statement).
    auto first = traced("a", SpanKind::internal, record_current_after(milliseconds(2), seen_in_a),
                        {}, memory.tracer);
    auto second = traced("b", SpanKind::internal, record_current_after(milliseconds(1), seen_in_b),
                         {}, memory.tracer);
    co_await (std::move(first) && std::move(second));
    co_await (traced("c", SpanKind::internal, nothing(), {}, memory.tracer) ||
              traced("d", SpanKind::internal, sleep_for(milliseconds(50)), {}, memory.tracer));
  }());
  auto spans = exported(memory);
  for (const char* name : {"a", "b", "c", "d"}) {
    INFO("span " << name);
    CHECK(only_span_named(spans, name).parent_span_id == parent_context.span_id);
  }
  CHECK(seen_in_a == only_span_named(spans, "a").context.span_id);
  CHECK(seen_in_b == only_span_named(spans, "b").context.span_id);
  CHECK(only_span_named(spans, "d").status == Status{StatusCode::error, "cancelled"});
}

TEST_CASE("|| with a timer cancels the slow child, whose span says cancelled") {
  MemoryProvider memory;
  net::io_context io;
  std::size_t winner = 99;
  SpanContext parent_context;
  SpanId after;
  run_task(io, [&]() -> net::awaitable<void> {
    auto parent = memory.tracer.start_span("request", {.parent = Context()});
    parent_context = parent.context();
    auto scope = parent.activate();
    auto outcome = co_await (traced_query("select", "slow_table", sleep_for(std::chrono::hours(1)),
                                          {.tracer = &memory.tracer}) ||
                             sleep_for(milliseconds(20)));
    winner = outcome.index();
    after = current_span_id();
  }());
  CHECK(winner == 1);
  CHECK(after == parent_context.span_id);
  auto spans = exported(memory);
  const SpanData& query = only_span_named(spans, "db.select");
  CHECK(query.parent_span_id == parent_context.span_id);
  CHECK(query.status == Status{StatusCode::error, "cancelled"});
}

TEST_CASE("when_all rethrows the first failure and cancels the other children") {
  MemoryProvider memory;
  net::io_context io;
  std::string message;
  run_task(io, [&]() -> net::awaitable<void> {
    auto failing = []() -> net::awaitable<int> {
      co_await sleep_for(milliseconds(2));
      throw std::runtime_error("backend unavailable");
    };
    try {
      co_await when_all(traced("failing", SpanKind::internal, failing(), {}, memory.tracer),
                        traced("waiting", SpanKind::internal, sleep_for(std::chrono::hours(1)), {},
                               memory.tracer),
                        ready(std::string("done")));
    } catch (const std::runtime_error& error) {
      message = error.what();
    }
  }());
  CHECK(message == "backend unavailable");
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "failing").status ==
        Status{StatusCode::error, "backend unavailable"});
  CHECK(only_span_named(spans, "waiting").status == Status{StatusCode::error, "cancelled"});
}

TEST_CASE("when_all and when_any return every value, or the first one, by position") {
  net::io_context io;
  std::tuple<int, std::monostate, std::string> all;
  std::variant<int, std::string, std::monostate> any;
  run_task(io, [&]() -> net::awaitable<void> {
    all = co_await when_all(ready(1), nothing(), ready(std::string("three")));
    any = co_await when_any(
        []() -> net::awaitable<int> {
          co_await sleep_for(milliseconds(30));
          co_return 1;
        }(),
        []() -> net::awaitable<std::string> {
          co_await sleep_for(milliseconds(1));
          co_return "fast";
        }(),
        sleep_for(milliseconds(60)));
  }());
  CHECK(std::get<0>(all) == 1);
  CHECK(std::get<2>(all) == "three");
  REQUIRE(any.index() == 1);
  CHECK(std::get<1>(any) == "fast");
}

TEST_CASE("nested groups flatten like Asio's and every child keeps the awaiting span as parent") {
  MemoryProvider memory;
  net::io_context io;
  std::tuple<int, int, int> values;
  SpanContext parent_context;
  run_task(io, [&]() -> net::awaitable<void> {
    auto parent = memory.tracer.start_span("parent", {.parent = Context()});
    parent_context = parent.context();
    auto scope = parent.activate();
    auto step = [&](const char* name, int value) {
      return traced(
          name, SpanKind::internal,
          [](int result) -> net::awaitable<int> {
            co_await sleep_for(microseconds(200 * result));
            co_return result;
          }(value),
          {}, memory.tracer);
    };
    values = co_await (step("one", 1) && step("two", 2) && step("three", 3));
  }());
  CHECK(values == std::tuple<int, int, int>(1, 2, 3));
  auto spans = exported(memory);
  for (const char* name : {"one", "two", "three"})
    CHECK(only_span_named(spans, name).parent_span_id == parent_context.span_id);
}

TEST_CASE("groups running at once on several threads keep every child apart") {
  MemoryProvider memory;
  net::io_context io;
  std::atomic<int> mismatches{0};
  auto child = [&](int delay) -> net::awaitable<void> {
    auto span = memory.tracer.start_span("child");
    auto scope = span.activate();
    for (int step = 0; step < 5; ++step) {
      co_await sleep_for(microseconds(delay * (step % 3)));
      if (current_span_id() != span.context().span_id) ++mismatches;
    }
  };
  auto group = [&](int index) -> net::awaitable<void> {
    auto parent = memory.tracer.start_span("group", {.parent = Context()});
    auto scope = parent.activate();
    co_await (child(index % 50) && child(50 - index % 50) && child(25));
    if (current_span_id() != parent.context().span_id) ++mismatches;
  };
  for (int index = 0; index < 100; ++index)
    tachi_trace::co_spawn(io, group(index), net::detached);
  testing::run_on_threads(io, 4);
  CHECK(mismatches == 0);
  auto spans = exported(memory);
  REQUIRE(spans.size() == 400);
  std::map<std::string, const SpanData*> by_id;
  for (const auto& span : spans)
    by_id[span.data.context.span_id.to_hex()] = &span.data;
  int misparented = 0;
  for (const auto& span : spans) {
    if (span.data.name != "child") continue;
    auto parent = by_id.find(span.data.parent_span_id.to_hex());
    if (parent == by_id.end() || parent->second->name != "group" ||
        parent->second->context.trace_id != span.data.context.trace_id)
      ++misparented;
  }
  CHECK(misparented == 0);
}
