// An unsampled traced awaitable allocates nothing beyond its coroutine frame (which Asio recycles).
// Counts every allocation on the thread running the task (support/allocation_counter).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "support/allocation_counter.hpp"
#include "support/asio_support.hpp"
#include "tachi_trace/traced.hpp"

using tachi_trace::testing::allocations_on_this_thread;

using namespace tachi_trace;
namespace net = boost::asio;

namespace {

net::awaitable<int> ready_value() {
  co_return 1;
}

/// Awaits one of each traced wrapper, with strings longer than std::string keeps inline.
net::awaitable<void> one_of_each(const Tracer& tracer) {
  QueryOptions options{.system = "postgresql", .tracer = &tracer};
  co_await traced_query("select", "a_table_name_longer_than_fifteen", ready_value(), options);
  co_await traced_backend_call("inference-backend", "chat-completion", ready_value(), tracer);
  co_await traced_execution("spec-identifier-long", "inference-backend",
                            "a-model-name-that-is-long", ready_value(), tracer);
  co_await traced("a span name longer than fifteen", SpanKind::internal, ready_value(), {}, tracer);
}

}  // namespace

TEST_CASE("unsampled traced awaitables allocate nothing beyond their recycled coroutine frames") {
  testing::MemoryProvider memory(testing::roomy_settings(make_always_off_sampler()));
  net::io_context io;
  std::size_t during_traced = 99;
  std::size_t during_control = 0;
  testing::run_task(io, [&]() -> net::awaitable<void> {
    auto request = memory.tracer.start_span("request");
    auto scope = request.activate();
    for (int warm_up = 0; warm_up < 3; ++warm_up)
      co_await one_of_each(memory.tracer);
    std::size_t before = allocations_on_this_thread();
    for (int round = 0; round < 100; ++round)
      co_await one_of_each(memory.tracer);
    during_traced = allocations_on_this_thread() - before;

    before = allocations_on_this_thread();
    auto control = std::make_unique<int>(1);  // the counter does see allocations
    during_control = allocations_on_this_thread() - before;
  }());
  CHECK(during_traced == 0);
  CHECK(during_control == 1);
}
