// Thread hops: blocking work on another execution context and back, keeping the task's context.
//
//   auto rows = co_await tachi_trace::offload(pool, [&] { return database.query(sql); });
//
// `offload(executor_or_context, function)` runs `function` on that executor (typically an
// `asio::thread_pool` for blocking work) with a copy of the awaiting task's current context active,
// then resumes the coroutine on its own executor (so inside its task) with the function's result,
// or rethrows its exception there. Spans the function starts are children of the span current where
// offload was awaited; scopes it makes stay on the pool thread and end with the function. The io
// context keeps outstanding work while the function runs, so `run()` does not return under it. The
// function cannot be cancelled once started: cancelling the awaiting coroutine does not interrupt
// it.
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

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

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

template <typename PoolExecutor, typename Stored>
struct OffloadInitiation {
  PoolExecutor pool;

  template <typename Handler, typename Function>
  void operator()(Handler handler, Function function, Context context) const {
    // Tracked, so the coroutine's io_context does not run out of work while the pool works.
    auto resume = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
    boost::asio::post(
        pool, [handler = std::move(handler), resume = std::move(resume),
               function = std::move(function), context = std::move(context)]() mutable {
          auto outcome = run_in_context<Stored>(function, std::move(context));
          boost::asio::dispatch(
              resume, [handler = std::move(handler), outcome = std::move(outcome)]() mutable {
                std::move(handler)(std::move(outcome));
              });
        });
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
