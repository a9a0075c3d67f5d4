// Coroutine-native context for Boost.Asio: everything a C++20 coroutine server needs in one
// include.
//
//   #include <tachi_trace/asio.hpp>
//   namespace net = boost::asio;
//
//   net::awaitable<void> handle(Request request) {
//     auto spec = co_await tachi_trace::traced_query("select", "specs",
//         tachi_trace::offload(pool, [&] { return store.get_spec(request.id); }));
//     TACHI_TRACE_LOG(info, "loaded spec ", request.id);
//   }
//   tachi_trace::co_spawn(io_context, handle(request), net::detached);
//
// The current context (context.hpp) follows each coroutine task, not each thread: a task started
// with `tachi_trace::co_spawn` (task.hpp) owns a slot that is active for the whole of each of its
// resumptions, on whichever thread runs it.
//
// What carries context as-is, inside a task:
// - every co_await of an Asio operation that completes through the coroutine's executor: timers,
//   sockets, `post`/`dispatch`/`defer` without another executor, Beast reads and writes, nested
//   awaitables, `co_await asio::post(pool, use_awaitable)` (which resumes on the task's executor);
// - io_context run by several threads, strands inside the task (`co_spawn(make_strand(io), ...)`);
// - scopes (`auto scope = span.activate();`) held across co_await: they stay with their task;
// - `tachi_trace::co_spawn` from inside a task: the child starts with the parent's current context
//   and then has a slot of its own.
//
// What needs the helpers:
// - blocking work on another execution context: `offload(pool, function)` (offload.hpp);
// - resuming the coroutine itself on a foreign executor (`bind_executor(pool, use_awaitable)`):
//   wrap the executor with `in_current_task(...)` (task.hpp), or the coroutine runs there without
//   its context;
// - parallel children: `tachi_trace::awaitable_operators` (`&&`, `||`) or when_all/when_any
//   (awaitable_operators.hpp) instead of Asio's, whose children would share the parent's slot;
// - `boost::asio::co_spawn(co_await this_coro::executor, ...)` makes a child that shares its
//   parent's slot: use `tachi_trace::co_spawn` for anything that runs beside its parent.
//
// Coroutines started with a plain `boost::asio::co_spawn` on a plain executor are not tasks: they
// see the thread's context, and traced awaitables there parent their spans correctly but do not
// make them current across suspensions (traced.hpp).
#pragma once

#include "tachi_trace/awaitable_operators.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/log.hpp"
#include "tachi_trace/offload.hpp"
#include "tachi_trace/task.hpp"
#include "tachi_trace/traced.hpp"
