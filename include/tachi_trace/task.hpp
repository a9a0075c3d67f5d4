// Coroutine tasks that carry their own current context: the task executor and the co_spawn helper.
//
//   tachi_trace::co_spawn(io_context, handle_request(request), boost::asio::detached);
//
// `tachi_trace::co_spawn` starts a coroutine as a task with a slot of its own (context.hpp),
// initialised with the context current where it was spawned (or with the parent you pass). It
// delegates to `boost::asio::co_spawn` with a `TaskExecutor`: a wrapper around the executor you
// give that makes the task's slot the thread's active slot around every function it runs (through
// `execute`, hence `dispatch`, `post` and `defer`, also when Asio runs a function inline because it
// is already inside the executor), then restores what was active before. So for the whole of each
// resumption, on whichever thread, `current_context()` is the task's, and nothing the task makes
// current leaks into another task on the same thread.
//
// `TaskExecutor` satisfies Asio's standard executor requirements (execute, query/require/prefer
// forwarded to the wrapped executor, equality) and type-erases into `boost::asio::any_io_executor`,
// so plain `boost::asio::awaitable<T>` coroutines work unchanged. Timers, sockets and strands work
// as-is: their completions resume the coroutine through its executor. Put strands inside the task
// (`co_spawn(make_strand(io), ...)`), not around a task executor. For thread hops see offload.hpp,
// for parallel children see awaitable_operators.hpp; asio.hpp sums up what carries context.
//
// Guarantees: a task slot lives as long as any copy of its executor or any function queued through
// it. Functions queued through copies of one task executor must not run at the same time on two
// threads (a coroutine task never does: it is resumed once at a time); give concurrent work its own
// task with `co_spawn` or `offload`.
#pragma once

#include <concepts>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "tachi_trace/context.hpp"

namespace tachi_trace {

namespace detail {

/// A function queued through a TaskExecutor: runs the wrapped function with the task's slot active.
template <typename Function>
class SlotActivatingFunction {
 public:
  template <typename Given>
  SlotActivatingFunction(TaskSlotRef slot, Given&& function)
      : slot_(std::move(slot)), function_(std::forward<Given>(function)) {}

  void operator()() {
    SlotActivation activation(slot_.get());
    std::move(function_)();
  }

 private:
  TaskSlotRef slot_;  // keeps the slot alive while the function waits in a queue
  Function function_;
};

}  // namespace detail

template <typename Property, typename Executor>
concept QueryableOn = boost::asio::can_query<const Executor&, const Property&>::value;
template <typename Property, typename Executor>
concept RequirableOn = boost::asio::can_require<const Executor&, const Property&>::value;
template <typename Property, typename Executor>
concept PreferableOn = boost::asio::can_prefer<const Executor&, const Property&>::value;

/// An executor that runs everything through `Executor` with a task's slot active. See above.
template <typename Executor>
class TaskExecutor {
 public:
  using inner_executor_type = Executor;

  /// Wraps `inner`; functions run with `slot` active. Precondition: `slot` is not empty.
  TaskExecutor(Executor inner, TaskSlotRef slot) noexcept
      : inner_(std::move(inner)), slot_(std::move(slot)) {}

  const Executor& inner_executor() const noexcept { return inner_; }
  const TaskSlotRef& slot() const noexcept { return slot_; }

  template <typename Function>
  void execute(Function&& function) const {
    inner_.execute(detail::SlotActivatingFunction<std::decay_t<Function>>(
        slot_, std::forward<Function>(function)));
  }

  template <QueryableOn<Executor> Property>
  decltype(auto) query(const Property& property) const
      noexcept(boost::asio::is_nothrow_query<const Executor&, const Property&>::value) {
    return boost::asio::query(inner_, property);
  }

  template <RequirableOn<Executor> Property>
  auto require(const Property& property) const {
    return rewrapped(boost::asio::require(inner_, property));
  }

  template <PreferableOn<Executor> Property>
  auto prefer(const Property& property) const {
    return rewrapped(boost::asio::prefer(inner_, property));
  }

  /// The execution context of the wrapped executor.
  decltype(auto) context() const noexcept {
    return boost::asio::query(inner_, boost::asio::execution::context);
  }

  friend bool operator==(const TaskExecutor& left, const TaskExecutor& right) noexcept {
    return left.slot_ == right.slot_ && left.inner_ == right.inner_;
  }

 private:
  template <typename Other>
  TaskExecutor<std::decay_t<Other>> rewrapped(Other&& other) const {
    return TaskExecutor<std::decay_t<Other>>(std::forward<Other>(other), slot_);
  }

  Executor inner_;
  TaskSlotRef slot_;
};

namespace detail {

template <typename Executor>
struct IsTaskExecutor : std::false_type {};
template <typename Executor>
struct IsTaskExecutor<TaskExecutor<Executor>> : std::true_type {};

/// Replaces the task slot of an executor erased into any_io_executor, without stacking a second
/// wrapper when the erased executor is one of the common ones.
template <typename Inner>
bool rewrap_known(const boost::asio::any_io_executor& executor, const TaskSlotRef& slot,
                  boost::asio::any_io_executor& result) {
  if (const auto* task = executor.target<TaskExecutor<Inner>>()) {
    result = TaskExecutor<Inner>(task->inner_executor(), slot);
    return true;
  }
  if (const auto* plain = executor.target<Inner>()) {
    result = TaskExecutor<Inner>(*plain, slot);
    return true;
  }
  return false;
}

inline boost::asio::any_io_executor with_task_slot(const boost::asio::any_io_executor& executor,
                                                   TaskSlotRef slot) {
  using io_executor = boost::asio::io_context::executor_type;
  boost::asio::any_io_executor result;
  if (rewrap_known<io_executor>(executor, slot, result) ||
      rewrap_known<boost::asio::strand<io_executor>>(executor, slot, result) ||
      rewrap_known<boost::asio::thread_pool::executor_type>(executor, slot, result))
    return result;
  if (const auto* task = executor.target<TaskExecutor<boost::asio::any_io_executor>>())
    return TaskExecutor<boost::asio::any_io_executor>(task->inner_executor(), std::move(slot));
  // An unknown executor, perhaps another task's: the outer wrapper activates its slot last, so
  // functions still run with `slot` active.
  return TaskExecutor<boost::asio::any_io_executor>(executor, std::move(slot));
}

template <typename Executor>
TaskExecutor<Executor> with_task_slot(const TaskExecutor<Executor>& executor, TaskSlotRef slot) {
  return TaskExecutor<Executor>(executor.inner_executor(), std::move(slot));
}

/// An executor that is neither a task executor nor erased: wrapped as it is.
template <typename Executor>
concept PlainExecutor =
    !IsTaskExecutor<Executor>::value && !std::same_as<Executor, boost::asio::any_io_executor>;

template <PlainExecutor Executor>
TaskExecutor<Executor> with_task_slot(const Executor& executor, TaskSlotRef slot) {
  return TaskExecutor<Executor>(executor, std::move(slot));
}

}  // namespace detail

template <typename Executor>
concept AsioExecutor = boost::asio::execution::is_executor<Executor>::value;

template <typename Context>
concept AsioExecutionContext = std::is_convertible_v<Context&, boost::asio::execution_context&>;

/// An executor for a new task running on `executor`, whose slot starts with `initial`. When
/// `executor` already carries a task (a TaskExecutor, or one erased into any_io_executor), the new
/// task gets its own slot in its place.
template <AsioExecutor Executor>
auto make_task_executor(const Executor& executor, Context initial = current_context()) {
  return detail::with_task_slot(executor, TaskSlot::make(std::move(initial)));
}

/// `executor` carrying the running task's slot (outside a task: a new slot holding the current
/// context). For resuming the running task elsewhere, e.g.
/// `co_await asio::post(asio::bind_executor(in_current_task(pool.get_executor()), use_awaitable))`;
/// never for work that runs beside the task (use offload or co_spawn for that).
template <AsioExecutor Executor>
auto in_current_task(const Executor& executor) {
  TaskSlotRef slot = current_task_slot();
  if (!slot) slot = TaskSlot::make(current_context());
  return detail::with_task_slot(executor, std::move(slot));
}

/// Starts `task` on `executor` as a task whose slot starts with `parent`, then completes `token`
/// as `boost::asio::co_spawn` does. The completion handler runs through the task's executor unless
/// it has an executor of its own.
template <AsioExecutor Executor, typename Value, typename AwaitableExecutor,
          typename CompletionToken>
auto co_spawn(const Executor& executor, Context parent,
              boost::asio::awaitable<Value, AwaitableExecutor> task, CompletionToken&& token) {
  return boost::asio::co_spawn(make_task_executor(executor, std::move(parent)), std::move(task),
                               std::forward<CompletionToken>(token));
}

/// Starts `task` as a task that inherits the context current here.
template <AsioExecutor Executor, typename Value, typename AwaitableExecutor,
          typename CompletionToken>
auto co_spawn(const Executor& executor, boost::asio::awaitable<Value, AwaitableExecutor> task,
              CompletionToken&& token) {
  return tachi_trace::co_spawn(executor, current_context(), std::move(task),
                               std::forward<CompletionToken>(token));
}

template <AsioExecutionContext ExecutionContext, typename Value, typename AwaitableExecutor,
          typename CompletionToken>
auto co_spawn(ExecutionContext& context, Context parent,
              boost::asio::awaitable<Value, AwaitableExecutor> task, CompletionToken&& token) {
  return tachi_trace::co_spawn(context.get_executor(), std::move(parent), std::move(task),
                               std::forward<CompletionToken>(token));
}

template <AsioExecutionContext ExecutionContext, typename Value, typename AwaitableExecutor,
          typename CompletionToken>
auto co_spawn(ExecutionContext& context, boost::asio::awaitable<Value, AwaitableExecutor> task,
              CompletionToken&& token) {
  return tachi_trace::co_spawn(context.get_executor(), current_context(), std::move(task),
                               std::forward<CompletionToken>(token));
}

}  // namespace tachi_trace
