// The current context: which span is active, and the baggage, for the code running now.
//
// A `Context` is an immutable value (a span reference and baggage). The current one lives in a
// `ContextSlot`. Each thread has a slot of its own; a coroutine task started through the library
// owns a slot too, which is made the thread's active slot for the whole of each of its resumptions,
// on whichever thread runs it (see asio.hpp). So synchronous code called from inside a task sees
// the task's context through `current_context()`, `current_span()` and `current_trace_id()`, and
// nothing a task makes current leaks into another task that shares the thread.
//
// `Scope` makes a context current until it is destroyed, then restores what was there. It writes
// to the slot that was active when it was made, so a scope held across `co_await` in a coroutine
// stays with its task even when the coroutine resumes on another thread. Scopes end in reverse
// order of their making (LIFO), as blocks do.
#pragma once

#include "tachi_trace/baggage.hpp"
#include "tachi_trace/ids.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

class Context {
 public:
  Context() noexcept = default;
  Context(SpanRef span, Baggage baggage = {}) noexcept
      : span_(std::move(span)), baggage_(std::move(baggage)) {}

  /// The active span; an invalid, non-recording SpanRef when there is none.
  const SpanRef& span() const noexcept { return span_; }
  const SpanContext& span_context() const noexcept { return span_.context(); }
  const Baggage& baggage() const noexcept { return baggage_; }
  /// True when a caller upstream asked for debug tracing (B3 `d` or `X-B3-Flags: 1`, Jaeger flag
  /// 0x02). Propagators that can express it pass it downstream; it survives `with_span`, so it
  /// reaches the outgoing calls of the span made from the extracted context.
  bool debug() const noexcept { return debug_; }

  Context with_span(SpanRef span) const {
    Context changed(std::move(span), baggage_);
    changed.debug_ = debug_;
    return changed;
  }
  Context with_baggage(Baggage baggage) const {
    Context changed(span_, std::move(baggage));
    changed.debug_ = debug_;
    return changed;
  }
  Context with_debug(bool debug) const {
    Context changed(*this);
    changed.debug_ = debug;
    return changed;
  }

 private:
  SpanRef span_;
  Baggage baggage_;
  bool debug_ = false;
};

/// Storage for one current context: one per thread, one per task.
class ContextSlot {
 public:
  ContextSlot() noexcept = default;
  explicit ContextSlot(Context initial) noexcept : context_(std::move(initial)) {}
  ContextSlot(const ContextSlot&) = delete;
  ContextSlot& operator=(const ContextSlot&) = delete;

  const Context& get() const noexcept { return context_; }
  Context exchange(Context next) noexcept {
    std::swap(context_, next);
    return next;
  }

 private:
  Context context_;
};

namespace detail {
inline thread_local ContextSlot* active_task_slot = nullptr;
ContextSlot& thread_slot() noexcept;
}  // namespace detail

/// The slot code on this thread writes to now: the running task's, else the thread's own.
inline ContextSlot& active_slot() noexcept {
  ContextSlot* task_slot = detail::active_task_slot;
  return task_slot != nullptr ? *task_slot : detail::thread_slot();
}

inline const Context& current_context() noexcept {
  return active_slot().get();
}
inline SpanRef current_span() noexcept {
  return current_context().span();
}
inline TraceId current_trace_id() noexcept {
  return current_context().span_context().trace_id;
}
inline SpanId current_span_id() noexcept {
  return current_context().span_context().span_id;
}
inline const Baggage& current_baggage() noexcept {
  return current_context().baggage();
}

/// Makes a context current in the active slot until destroyed.
class [[nodiscard]] Scope {
 public:
  explicit Scope(Context context) noexcept
      : slot_(&active_slot()), previous_(slot_->exchange(std::move(context))) {}
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  ~Scope() { slot_->exchange(std::move(previous_)); }

 private:
  ContextSlot* slot_;
  Context previous_;
};

/// Makes `slot` the thread's active slot until destroyed (what task executors do around each
/// resumption), then restores the slot that was active before, also when nested.
class [[nodiscard]] SlotActivation {
 public:
  explicit SlotActivation(ContextSlot* slot) noexcept
      : previous_(std::exchange(detail::active_task_slot, slot)) {}
  SlotActivation(const SlotActivation&) = delete;
  SlotActivation& operator=(const SlotActivation&) = delete;
  ~SlotActivation() { detail::active_task_slot = previous_; }

 private:
  ContextSlot* previous_;
};

inline Scope SpanRef::activate() const {
  return Scope(current_context().with_span(*this));
}

}  // namespace tachi_trace
