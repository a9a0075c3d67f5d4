#include <catch2/catch.hpp>
#include <thread>

#include "support/memory_provider.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;

namespace {
TracerProvider make_provider() {
  return testing::MemoryProvider().provider;
}
}  // namespace

TEST_CASE("outside any scope there is no current span") {
  CHECK_FALSE(current_span().context().is_valid());
  CHECK_FALSE(current_trace_id().is_valid());
  CHECK_FALSE(current_span_id().is_valid());
}

TEST_CASE("activate makes a span current until the scope ends, nesting in order") {
  auto provider = make_provider();
  Tracer tracer = provider.tracer("test");
  auto outer = tracer.start_span("outer");
  {
    auto outer_scope = outer.activate();
    CHECK(current_span_id() == outer.context().span_id);
    CHECK(current_trace_id() == outer.context().trace_id);
    auto inner = tracer.start_span("inner");
    {
      auto inner_scope = inner.activate();
      CHECK(current_span_id() == inner.context().span_id);
      current_span().set_attribute("set.through.current", true);
    }
    CHECK(current_span_id() == outer.context().span_id);
    CHECK(*inner.data()->find_attribute("set.through.current") == AttributeValue(true));
  }
  CHECK_FALSE(current_span_id().is_valid());
}

TEST_CASE("each thread has its own current context") {
  auto provider = make_provider();
  auto span = provider.tracer("test").start_span("main thread");
  auto scope = span.activate();
  SpanId seen_on_other_thread = generate_span_id();
  std::thread([&] { seen_on_other_thread = current_span_id(); }).join();
  CHECK_FALSE(seen_on_other_thread.is_valid());
  CHECK(current_span_id() == span.context().span_id);
}

TEST_CASE("baggage travels in the context") {
  Baggage baggage = Baggage().with("tenant", "acme").with("region", "eu", "ttl=5");
  CHECK(baggage.get("tenant") == "acme");
  CHECK(baggage.entries()[1].metadata == "ttl=5");
  CHECK(baggage.with("tenant", "other").get("tenant") == "other");
  CHECK(baggage.without("tenant").size() == 1);
  {
    Scope scope(current_context().with_baggage(baggage));
    CHECK(current_baggage().get("region") == "eu");
  }
  CHECK(current_baggage().empty());
}

TEST_CASE("a task slot, when activated, takes the place of the thread's slot") {
  auto provider = make_provider();
  Tracer tracer = provider.tracer("test");
  auto thread_span = tracer.start_span("thread");
  auto thread_scope = thread_span.activate();

  auto task_span = tracer.start_span("task", {.parent = Context()});
  ContextSlot task_slot{Context(task_span)};
  {
    SlotActivation activation(&task_slot);
    CHECK(current_span_id() == task_span.context().span_id);
    auto child = tracer.start_span("child of task");
    CHECK(child.data()->parent_span_id == task_span.context().span_id);
    {
      // A scope made while the task runs writes to the task's slot...
      auto child_scope = child.activate();
      SlotActivation nested(nullptr);  // ...and is not seen by the thread's own slot
      CHECK(current_span_id() == thread_span.context().span_id);
    }
    CHECK(current_span_id() == task_span.context().span_id);
  }
  CHECK(current_span_id() == thread_span.context().span_id);
}

TEST_CASE("a scope restores the slot it was made in, even if another slot is active then") {
  auto provider = make_provider();
  Tracer tracer = provider.tracer("test");
  ContextSlot task_slot;
  auto span = tracer.start_span("s");
  std::optional<SlotActivation> first(std::in_place, &task_slot);
  auto* scope = new Scope(Context(span));
  first.reset();  // the task suspends: its scope stays alive in its frame
  CHECK_FALSE(current_span_id().is_valid());
  {
    SlotActivation resumed(&task_slot);  // resumes, perhaps on another thread
    CHECK(current_span_id() == span.context().span_id);
    delete scope;
    CHECK_FALSE(current_span_id().is_valid());
  }
  CHECK_FALSE(task_slot.get().span_context().is_valid());
}
