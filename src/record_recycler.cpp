#include "record_recycler.hpp"

#include <new>

namespace tachi_trace::detail {

RecordRecycler::~RecordRecycler() {
  std::vector<SpanRecord*> records;
  take_all(records);
  for (auto* record : records)
    record->release();
}

void RecordRecycler::give_back(std::vector<SpanRecord*> records) noexcept {
  if (records.empty()) return;
  if (held_.load(std::memory_order_relaxed) + records.size() > capacity_) {
    for (auto* record : records)
      record->release();
    return;
  }
  auto* chunk = new (std::nothrow) Chunk{nullptr, std::move(records)};
  if (chunk == nullptr) {  // out of memory: the records are freed rather than kept
    for (auto* record : records)
      record->release();
    return;
  }
  held_.fetch_add(chunk->records.size(), std::memory_order_relaxed);
  chunk->next = head_.load(std::memory_order_relaxed);
  while (!head_.compare_exchange_weak(chunk->next, chunk, std::memory_order_release,
                                      std::memory_order_relaxed)) {
  }
}

void RecordRecycler::take_all(std::vector<SpanRecord*>& out) noexcept {
  Chunk* chunk = head_.exchange(nullptr, std::memory_order_acquire);
  while (chunk != nullptr) {
    held_.fetch_sub(chunk->records.size(), std::memory_order_relaxed);
    try {
      out.insert(out.end(), chunk->records.begin(), chunk->records.end());
    } catch (...) {
      for (auto* record : chunk->records)  // out of memory: freed rather than reused
        record->release();
    }
    delete std::exchange(chunk, chunk->next);
  }
}

}  // namespace tachi_trace::detail
