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
//
// A task's slot is a `TaskSlot`: reference-counted, shared by every copy of the executor that
// carries the task (`TaskExecutor` in task.hpp), freed with the last reference. Only the code of
// its task touches it, one resumption at a time; it is not a lock and two threads must never run
// with the same task slot active at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

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
  /// Makes `next` current and moves the context it replaces into `previous` (what Scope does:
  /// fewer moves than exchange).
  void replace(Context&& next, Context& previous) noexcept {
    previous = std::move(context_);
    context_ = std::move(next);
  }
  /// Makes `saved` current again.
  void restore(Context& saved) noexcept { context_ = std::move(saved); }

  /// True for a task's reference-counted slot (a TaskSlot), false for a thread's or a plain slot.
  bool is_task_slot() const noexcept { return is_task_slot_; }

 protected:
  struct TaskSlotTag {};
  ContextSlot(Context initial, TaskSlotTag) noexcept
      : context_(std::move(initial)), is_task_slot_(true) {}

 private:
  Context context_;
  bool is_task_slot_ = false;
};

class TaskSlotRef;

/// The slot a coroutine task owns. Made only through `TaskSlot::make`, held through TaskSlotRef.
class TaskSlot final : public ContextSlot {
 public:
  /// A new slot whose current context is `initial`.
  static TaskSlotRef make(Context initial);

 private:
  friend class TaskSlotRef;
  explicit TaskSlot(Context initial) noexcept : ContextSlot(std::move(initial), TaskSlotTag{}) {}

  void retain() noexcept { references_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (references_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  std::atomic<std::uint32_t> references_{1};
};

/// A counted reference to a TaskSlot; copies share the slot. A default-constructed reference is
/// empty.
class TaskSlotRef {
 public:
  TaskSlotRef() noexcept = default;
  TaskSlotRef(const TaskSlotRef& other) noexcept : slot_(other.slot_) {
    if (slot_ != nullptr) slot_->retain();
  }
  TaskSlotRef(TaskSlotRef&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
  TaskSlotRef& operator=(TaskSlotRef other) noexcept {
    std::swap(slot_, other.slot_);
    return *this;
  }
  ~TaskSlotRef() {
    if (slot_ != nullptr) slot_->release();
  }

  /// A new reference to `slot`, which must be a live TaskSlot.
  static TaskSlotRef share(TaskSlot& slot) noexcept {
    slot.retain();
    return TaskSlotRef(&slot);
  }

  TaskSlot* get() const noexcept { return slot_; }
  explicit operator bool() const noexcept { return slot_ != nullptr; }
  friend bool operator==(const TaskSlotRef& left, const TaskSlotRef& right) noexcept {
    return left.slot_ == right.slot_;
  }

 private:
  friend class TaskSlot;
  explicit TaskSlotRef(TaskSlot* adopted) noexcept : slot_(adopted) {}

  TaskSlot* slot_ = nullptr;
};

inline TaskSlotRef TaskSlot::make(Context initial) {
  return TaskSlotRef(new TaskSlot(std::move(initial)));
}

// The thread-local state lives in context.cpp and is reached only through these calls, never
// inlined: Clang before 16 may compute a thread_local's address once in a coroutine and reuse it
// after the coroutine resumed on another thread, which would read another thread's slot. A call
// computes the address afresh, on the thread that makes it. (The cost is a call: about a
// nanosecond.)
namespace detail {
/// This thread's active task slot variable: the running task's slot, or null.
[[gnu::noinline]] ContextSlot*& active_task_slot_variable() noexcept;
}  // namespace detail

/// The slot code on this thread writes to now: the running task's, else the thread's own.
[[gnu::noinline]] ContextSlot& active_slot() noexcept;

/// The running task's slot, or an empty reference outside any task (or when the active slot is a
/// plain ContextSlot rather than a task's).
inline TaskSlotRef current_task_slot() noexcept {
  ContextSlot* task_slot = detail::active_task_slot_variable();
  if (task_slot == nullptr || !task_slot->is_task_slot()) return TaskSlotRef();
  return TaskSlotRef::share(static_cast<TaskSlot&>(*task_slot));
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
  explicit Scope(Context context) noexcept : Scope(active_slot(), std::move(context)) {}
  /// Makes `context` current in `slot`, which must be the active slot (or one no code uses now).
  Scope(ContextSlot& slot, Context context) noexcept : slot_(&slot) {
    slot_->replace(std::move(context), previous_);
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  ~Scope() { slot_->restore(previous_); }

 private:
  ContextSlot* slot_;
  Context previous_;
};

/// Makes `slot` the thread's active slot until destroyed (what task executors do around each
/// resumption), then restores the slot that was active before, also when nested.
class [[nodiscard]] SlotActivation {
 public:
  explicit SlotActivation(ContextSlot* slot) noexcept
      : previous_(std::exchange(detail::active_task_slot_variable(), slot)) {}
  SlotActivation(const SlotActivation&) = delete;
  SlotActivation& operator=(const SlotActivation&) = delete;
  ~SlotActivation() { detail::active_task_slot_variable() = previous_; }

 private:
  ContextSlot* previous_;
};

inline Scope SpanRef::activate() const {
  return Scope(current_context().with_span(*this));
}

}  // namespace tachi_trace
