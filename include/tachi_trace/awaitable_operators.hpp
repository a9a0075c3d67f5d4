// Parallel children that each keep their own context: when_all, when_any and the `&&` / `||`
// awaitable operators.
//
//   using namespace tachi_trace::awaitable_operators;
//   auto [spec, quota] = co_await (traced_query("select", "specs", load_spec(id)) &&
//                                  traced_backend_call("billing", "quota", load_quota(user)));
//
// Asio's `experimental::awaitable_operators` co_spawn the children with the parent's executor, so
// in a task the children would share the parent's slot: while they interleave each would see the
// other's spans as current, and their scopes would restore each other's contexts. These versions
// give every child a task of its own whose slot starts with the context current where the group was
// awaited: each child's spans are children of that span, and no child ever sees another's.
//
// `when_all(a, b, ...)` resumes with a tuple of the results (std::monostate for void) once all have
// completed; when one throws, the others are cancelled and the first exception to happen is
// rethrown. `when_any(a, b, ...)` resumes with a variant whose index is the child that completed
// first; the others are cancelled; if the first one threw, its exception is rethrown. The operators
// have exactly the result types of Asio's (void && T gives T, tuple && T flattens, ...), so
// switching is a change of `using namespace`; Asio throws `multiple_exceptions` when both children
// of `&&` throw, these rethrow the first. Outside a task the children run as plain Asio children.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tachi_trace/context.hpp"
#include "tachi_trace/task.hpp"

namespace tachi_trace {

namespace detail {

/// A child's result as the group reports it: monostate for void.
template <typename Value>
using ChildValue = std::conditional_t<std::is_void_v<Value>, std::monostate, Value>;

/// What a child task completes with: co_spawn needs a default-constructible value.
template <typename Value>
using ChildStored = std::conditional_t<std::is_default_constructible_v<ChildValue<Value>>,
                                       ChildValue<Value>, std::optional<ChildValue<Value>>>;

template <typename Value, typename Executor>
boost::asio::awaitable<ChildStored<Value>, Executor> as_child(
    boost::asio::awaitable<Value, Executor> operation) {
  if constexpr (std::is_void_v<Value>) {
    co_await std::move(operation);
    co_return std::monostate{};
  } else {
    co_return ChildStored<Value>(co_await std::move(operation));
  }
}

template <typename Value>
ChildValue<Value> unwrap_child(ChildStored<Value>&& stored) {
  if constexpr (std::is_same_v<ChildStored<Value>, ChildValue<Value>>)
    return std::move(stored);
  else
    return std::move(*stored);
}

/// The executor a child of a group runs on: the parent's, with a new slot holding `context`.
template <typename Executor>
Executor child_executor(const Executor& parent, const Context& context) {
  if constexpr (std::is_same_v<Executor, boost::asio::any_io_executor> ||
                IsTaskExecutor<Executor>::value)
    return detail::with_task_slot(parent, TaskSlot::make(context));
  else
    return parent;  // an executor that cannot carry a task slot: plain Asio children
}

/// A child as co_spawn can run it: unchanged when its value is default-constructible.
template <typename Value, typename Executor>
boost::asio::awaitable<ChildStored<Value>, Executor> spawnable(
    boost::asio::awaitable<Value, Executor> operation) {
  if constexpr (std::is_same_v<ChildStored<Value>, Value>)
    return operation;
  else
    return as_child(std::move(operation));
}

template <typename Executor, typename... Values>
auto make_group(const Executor& parent, const Context& context,
                boost::asio::awaitable<Values, Executor>... operations) {
  return boost::asio::experimental::make_parallel_group(boost::asio::co_spawn(
      child_executor(parent, context), spawnable(std::move(operations)), boost::asio::deferred)...);
}

/// The exception of the child that failed first, in order of completion; null when none failed.
template <std::size_t Count>
std::exception_ptr first_failure(const std::array<std::size_t, Count>& order,
                                 const std::array<std::exception_ptr, Count>& errors) {
  for (std::size_t index : order)
    if (errors[index]) return errors[index];
  return nullptr;
}

template <typename... Values, typename Completion, std::size_t... Index>
std::tuple<ChildValue<Values>...> all_values(Completion& completion,
                                             std::index_sequence<Index...>) {
  std::array<std::exception_ptr, sizeof...(Values)> errors{std::get<1 + 2 * Index>(completion)...};
  if (auto failure = first_failure(std::get<0>(completion), errors))
    std::rethrow_exception(failure);
  return std::tuple<ChildValue<Values>...>(
      unwrap_child<Values>(std::move(std::get<2 + 2 * Index>(completion)))...);
}

template <typename... Values, typename Completion, std::size_t... Index>
std::variant<ChildValue<Values>...> first_value(Completion& completion,
                                                std::index_sequence<Index...>) {
  std::size_t winner = std::get<0>(completion)[0];
  std::array<std::exception_ptr, sizeof...(Values)> errors{std::get<1 + 2 * Index>(completion)...};
  if (errors[winner]) std::rethrow_exception(errors[winner]);
  std::optional<std::variant<ChildValue<Values>...>> result;
  ((winner == Index
        ? void(result.emplace(std::in_place_index<Index>,
                              unwrap_child<Values>(std::move(std::get<2 + 2 * Index>(completion)))))
        : void()),
   ...);
  return std::move(*result);
}

/// `inner`'s alternative, at the same index, in a variant with one more alternative.
template <typename Added, typename... Alternatives, std::size_t... Index>
std::variant<Alternatives..., Added> widened(std::variant<Alternatives...>&& inner,
                                             std::index_sequence<Index...>) {
  std::optional<std::variant<Alternatives..., Added>> result;
  ((inner.index() == Index
        ? void(result.emplace(std::in_place_index<Index>, std::get<Index>(std::move(inner))))
        : void()),
   ...);
  return std::move(*result);
}

}  // namespace detail

/// Runs every operation as a child task in parallel; resumes with all their results. See above.
template <typename Executor, typename... Values>
boost::asio::awaitable<std::tuple<detail::ChildValue<Values>...>, Executor> when_all(
    boost::asio::awaitable<Values, Executor>... operations) {
  auto parent = co_await boost::asio::this_coro::executor;
  auto group = detail::make_group(parent, current_context(), std::move(operations)...);
  auto completion = co_await group.async_wait(boost::asio::experimental::wait_for_one_error(),
                                              boost::asio::use_awaitable_t<Executor>{});
  co_return detail::all_values<Values...>(completion, std::index_sequence_for<Values...>{});
}

/// Runs every operation as a child task in parallel; resumes with the first to complete and
/// cancels the others. See above.
template <typename Executor, typename... Values>
boost::asio::awaitable<std::variant<detail::ChildValue<Values>...>, Executor> when_any(
    boost::asio::awaitable<Values, Executor>... operations) {
  auto parent = co_await boost::asio::this_coro::executor;
  auto group = detail::make_group(parent, current_context(), std::move(operations)...);
  auto completion = co_await group.async_wait(boost::asio::experimental::wait_for_one(),
                                              boost::asio::use_awaitable_t<Executor>{});
  co_return detail::first_value<Values...>(completion, std::index_sequence_for<Values...>{});
}

namespace awaitable_operators {

/// Both in parallel, each in a task of its own; Asio's result types (see the header comment).
template <typename Executor>
boost::asio::awaitable<void, Executor> operator&&(boost::asio::awaitable<void, Executor> left,
                                                  boost::asio::awaitable<void, Executor> right) {
  co_await when_all(std::move(left), std::move(right));
}

template <typename Right, typename Executor>
boost::asio::awaitable<Right, Executor> operator&&(boost::asio::awaitable<void, Executor> left,
                                                   boost::asio::awaitable<Right, Executor> right) {
  auto results = co_await when_all(std::move(left), std::move(right));
  co_return std::move(std::get<1>(results));
}

template <typename Left, typename Executor>
boost::asio::awaitable<Left, Executor> operator&&(boost::asio::awaitable<Left, Executor> left,
                                                  boost::asio::awaitable<void, Executor> right) {
  auto results = co_await when_all(std::move(left), std::move(right));
  co_return std::move(std::get<0>(results));
}

template <typename Left, typename Right, typename Executor>
boost::asio::awaitable<std::tuple<Left, Right>, Executor> operator&&(
    boost::asio::awaitable<Left, Executor> left, boost::asio::awaitable<Right, Executor> right) {
  co_return co_await when_all(std::move(left), std::move(right));
}

template <typename... Left, typename Executor>
boost::asio::awaitable<std::tuple<Left..., std::monostate>, Executor> operator&&(
    boost::asio::awaitable<std::tuple<Left...>, Executor> left,
    boost::asio::awaitable<void, Executor> right) {
  auto results = co_await when_all(std::move(left), std::move(right));
  co_return std::tuple_cat(std::move(std::get<0>(results)), std::tuple<std::monostate>());
}

template <typename... Left, typename Right, typename Executor>
boost::asio::awaitable<std::tuple<Left..., Right>, Executor> operator&&(
    boost::asio::awaitable<std::tuple<Left...>, Executor> left,
    boost::asio::awaitable<Right, Executor> right) {
  auto results = co_await when_all(std::move(left), std::move(right));
  co_return std::tuple_cat(std::move(std::get<0>(results)),
                           std::tuple<Right>(std::move(std::get<1>(results))));
}

/// The first of both to complete, each in a task of its own; the other is cancelled.
template <typename Left, typename Right, typename Executor>
boost::asio::awaitable<std::variant<detail::ChildValue<Left>, detail::ChildValue<Right>>, Executor>
operator||(boost::asio::awaitable<Left, Executor> left,
           boost::asio::awaitable<Right, Executor> right) {
  co_return co_await when_any(std::move(left), std::move(right));
}

template <typename... Left, typename Right, typename Executor>
boost::asio::awaitable<std::variant<Left..., detail::ChildValue<Right>>, Executor> operator||(
    boost::asio::awaitable<std::variant<Left...>, Executor> left,
    boost::asio::awaitable<Right, Executor> right) {
  using Added = detail::ChildValue<Right>;
  auto first = co_await when_any(std::move(left), std::move(right));
  if (first.index() == 1)
    co_return std::variant<Left..., Added>(std::in_place_index<sizeof...(Left)>,
                                           std::get<1>(std::move(first)));
  co_return detail::widened<Added>(std::get<0>(std::move(first)),
                                   std::index_sequence_for<Left...>{});
}

}  // namespace awaitable_operators

}  // namespace tachi_trace
