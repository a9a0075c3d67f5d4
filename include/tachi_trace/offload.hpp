// Thread hops: blocking work on another execution context and back, keeping the task's context.
//
//   auto rows = co_await tachi_trace::offload(pool, [&] { return database.query(sql); });
//
// `offload(executor_or_context, function)` runs `function` on that executor (typically an
// `asio::thread_pool` for blocking work) with a copy of the awaiting task's current context active,
// then resumes the coroutine on its own executor (so inside its task) with the function's result,
// or rethrows its exception there. Spans the function starts are children of the span current where
// offload was awaited; scopes it makes stay on the pool thread and end with the function. The io
// context keeps outstanding work while the function runs, so `run()` does not return under it.
//
// Cancellation (per-operation, as `||` of awaitable_operators or `cancel_after`-style timeouts
// emit it): work still queued on the pool is withdrawn, so the function never runs and the
// coroutine resumes at once with `boost::system::system_error` (operation_aborted), which a traced
// wrapper records as "cancelled". A function already running is not interrupted nor abandoned: it
// may refer to the coroutine's locals, so the coroutine waits for it and gets its result.
//
// What works as-is and what needs this header:
// - `co_await asio::post(pool, use_awaitable)` does not hop in Asio 1.81: the empty function runs
// on
//   the pool, the coroutine resumes on its own executor, in its task. Context is kept.
// - `co_await asio::post(asio::bind_executor(pool, use_awaitable))` really hops: the coroutine
//   resumes on a pool thread through an executor that knows nothing of the task, so while it runs
//   there it sees the pool thread's context, and a scope it makes there would be restored later on
//   another thread. Wrap the foreign executor with `in_current_task(pool.get_executor())`
//   (task.hpp) and the coroutine keeps its task's slot on the pool thread too; its next operation
//   completes on its own executor again, which is the way back.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "tachi_trace/context.hpp"
#include "tachi_trace/task.hpp"

namespace tachi_trace {

namespace detail {

/// What the pool hands back to the coroutine: the function's value (monostate for void) or the
/// exception it threw.
template <typename Stored>
struct OffloadOutcome {
  std::exception_ptr error;
  std::optional<Stored> value;
};

template <typename Function>
using OffloadValue = std::decay_t<std::invoke_result_t<Function&>>;
template <typename Function>
using OffloadStored = std::conditional_t<std::is_void_v<OffloadValue<Function>>, std::monostate,
                                         OffloadValue<Function>>;

template <typename Stored, typename Function>
OffloadOutcome<Stored> run_in_context(Function& function, Context context) noexcept {
  ContextSlot slot(std::move(context));
  SlotActivation activation(&slot);
  OffloadOutcome<Stored> outcome;
  try {
    if constexpr (std::is_same_v<Stored, std::monostate>) {
      function();
      outcome.value.emplace();
    } else {
      outcome.value.emplace(function());
    }
  } catch (...) {
    outcome.error = std::current_exception();
  }
  return outcome;
}

/// One offloaded call that can be withdrawn while it waits on the pool: the pool's job and the
/// cancellation handler race for it, and whichever moves it out of `queued` completes the caller.
template <typename Stored, typename Handler, typename Resume, typename Function>
class CancellableOffload {
 public:
  CancellableOffload(Handler&& handler, Resume&& resume, Function&& function, Context&& context)
      : handler_(std::move(handler)),
        resume_(std::move(resume)),
        function_(std::move(function)),
        context_(std::move(context)) {}

  /// On the pool: runs the function unless the call was withdrawn first.
  void run() {
    if (!leave_queue(Phase::running)) return;
    auto outcome = run_in_context<Stored>(*function_, std::move(context_));
    function_.reset();
    finish(std::move(outcome), Resumption::dispatched);
  }
  /// From the canceller: completes the caller with operation_aborted if the call is still queued.
  void withdraw() {
    if (!leave_queue(Phase::withdrawn)) return;
    function_.reset();
    OffloadOutcome<Stored> aborted;
    aborted.error =
        std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
    // Posted, not dispatched: the canceller usually runs on the coroutine's executor and must not
    // have the coroutine resumed inside its own call.
    finish(std::move(aborted), Resumption::posted);
  }

 private:
  enum class Phase : unsigned char { queued, running, withdrawn };
  enum class Resumption : unsigned char { dispatched, posted };

  bool leave_queue(Phase next) noexcept {
    Phase expected = Phase::queued;
    return phase_.compare_exchange_strong(expected, next, std::memory_order_acq_rel);
  }
  void finish(OffloadOutcome<Stored> outcome, Resumption resumption) {
    // The resume executor tracks work for the io_context: released here, not when the last
    // reference to this call goes (the cancellation slot may keep one for a while).
    Resume resume = std::move(*resume_);
    resume_.reset();
    auto resumed = [handler = std::move(*handler_), outcome = std::move(outcome)]() mutable {
      std::move(handler)(std::move(outcome));
    };
    handler_.reset();
    if (resumption == Resumption::posted)
      boost::asio::post(resume, std::move(resumed));
    else
      boost::asio::dispatch(resume, std::move(resumed));
  }

  std::atomic<Phase> phase_{Phase::queued};
  std::optional<Handler> handler_;
  std::optional<Resume> resume_;
  std::optional<Function> function_;
  Context context_;
};

template <typename PoolExecutor, typename Stored>
struct OffloadInitiation {
  PoolExecutor pool;

  template <typename Handler, typename Function>
  void operator()(Handler handler, Function function, Context context) const {
    // Tracked, so the coroutine's io_context does not run out of work while the pool works.
    auto resume = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    using Call = CancellableOffload<Stored, Handler, decltype(resume), Function>;
    // From the allocating thread's cache, as Asio's own operations are: the last reference usually
    // goes on the coroutine's thread too.
    auto call =
        std::allocate_shared<Call>(boost::asio::recycling_allocator<Call>(), std::move(handler),
                                   std::move(resume), std::move(function), std::move(context));
    // Any type of cancellation will do: withdrawn work has had no effect at all. The handler stays
    // in the slot after completion, harmless (the call is out of the queue), until the coroutine's
    // next operation replaces it.
    if (slot.is_connected()) {
      slot.assign([call](boost::asio::cancellation_type type) {
        if (type != boost::asio::cancellation_type::none) call->withdraw();
      });
    }
    boost::asio::post(pool, [call = std::move(call)] { call->run(); });
  }
};

}  // namespace detail

/// Runs `function` on `pool` with the awaiting task's context, and resumes with its result (a
/// decayed copy; void for void) or rethrows its exception. `function` is moved to the pool.
template <typename AwaitableExecutor = boost::asio::any_io_executor, AsioExecutor PoolExecutor,
          std::invocable Function>
boost::asio::awaitable<detail::OffloadValue<Function>, AwaitableExecutor> offload(
    PoolExecutor pool, Function function) {
  using Stored = detail::OffloadStored<Function>;
  using Signature = void(detail::OffloadOutcome<Stored>);
  boost::asio::use_awaitable_t<AwaitableExecutor> token;
  auto outcome = co_await boost::asio::async_initiate<decltype(token), Signature>(
      detail::OffloadInitiation<PoolExecutor, Stored>{std::move(pool)}, token, std::move(function),
      current_context());
  if (outcome.error) std::rethrow_exception(outcome.error);
  if constexpr (!std::is_same_v<Stored, std::monostate>) co_return std::move(*outcome.value);
}

/// The same, on an execution context such as an asio::thread_pool.
template <typename AwaitableExecutor = boost::asio::any_io_executor,
          AsioExecutionContext ExecutionContext, std::invocable Function>
boost::asio::awaitable<detail::OffloadValue<Function>, AwaitableExecutor> offload(
    ExecutionContext& pool, Function function) {
  return offload<AwaitableExecutor>(pool.get_executor(), std::move(function));
}

}  // namespace tachi_trace
