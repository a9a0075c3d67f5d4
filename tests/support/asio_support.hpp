// Helpers for the coroutine tests: run io_contexts, wait for tasks, find exported spans.
#pragma once

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "support/memory_provider.hpp"
#include "tachi_trace/asio.hpp"

namespace tachi_trace::testing {

/// The calling thread's id. Not inlined: glibc declares pthread_self `const`, so Clang may reuse
/// an id read before a co_await after the coroutine resumed on another thread.
[[gnu::noinline]] inline std::thread::id this_thread_id() {
  return std::this_thread::get_id();
}

/// A provider whose queues hold everything a test makes and export quickly.
inline ProviderSettings roomy_settings(std::shared_ptr<const Sampler> sampler = nullptr) {
  ProviderSettings settings;
  settings.batch.max_queue_size = 1'000'000;
  settings.batch.max_export_batch_size = 4096;
  settings.batch.schedule_delay = std::chrono::milliseconds(20);
  if (sampler) settings.sampler = std::move(sampler);
  return settings;
}

/// Runs `io` on `thread_count` threads until it runs out of work (again, if it ran before).
inline void run_on_threads(boost::asio::io_context& io, int thread_count) {
  io.restart();
  std::vector<std::thread> threads;
  for (int index = 1; index < thread_count; ++index)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads)
    thread.join();
}

/// Spawns `task` as a tachi_trace task on `io`, runs `io` on `thread_count` threads, and returns
/// the task's result or rethrows its exception.
template <typename Value>
Value run_task(boost::asio::io_context& io, boost::asio::awaitable<Value> task,
               int thread_count = 1) {
  auto future = tachi_trace::co_spawn(io, std::move(task), boost::asio::use_future);
  run_on_threads(io, thread_count);
  return future.get();
}

/// Every exported span, after flushing.
inline std::vector<StoredSpan> exported(MemoryProvider& memory) {
  memory.provider.force_flush();
  return memory.store->spans();
}

inline const SpanData& only_span_named(const std::vector<StoredSpan>& spans,
                                       std::string_view name) {
  const SpanData* found = nullptr;
  for (const auto& span : spans) {
    if (span.data.name != name) continue;
    if (found != nullptr) throw std::runtime_error("more than one span named " + std::string(name));
    found = &span.data;
  }
  if (found == nullptr) throw std::runtime_error("no span named " + std::string(name));
  return *found;
}

/// A string attribute's value, or "<missing>".
inline std::string string_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  if (value == nullptr) return "<missing>";
  const std::string* text = value->get_if<std::string>();
  return text != nullptr ? *text : "<not a string>";
}

/// Waits `duration` on the running coroutine's executor. (Defined in asio_support.cpp: GCC emits
/// an inline coroutine in every file that includes its definition, used or not.)
boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration);

}  // namespace tachi_trace::testing
