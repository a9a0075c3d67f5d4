// An exporter that keeps spans in memory, for tests and for programs that inspect their own spans.
//
//   auto store = std::make_shared<tachi_trace::InMemorySpanStore>();
//   exporters.push_back(tachi_trace::make_in_memory_exporter(store));
//   ... provider.force_flush(); auto spans = store->spans();
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

/// A span copied out of the pipeline, with its own copy of its scope (so it outlives the provider).
struct StoredSpan {
  SpanData data;
  InstrumentationScope scope;
};

/// Thread-safe store of exported spans, bounded: past `capacity` the oldest spans are discarded.
class InMemorySpanStore {
 public:
  explicit InMemorySpanStore(std::size_t capacity = 1'000'000) : capacity_(capacity) {}

  std::vector<StoredSpan> spans() const;
  std::size_t size() const;
  void clear();
  /// Waits until at least `count` spans are stored; false if `timeout` passes first.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const;

  void add(const SpanData& span);

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<StoredSpan> spans_;
};

std::unique_ptr<SpanExporter> make_in_memory_exporter(std::shared_ptr<InMemorySpanStore> store);

}  // namespace tachi_trace
