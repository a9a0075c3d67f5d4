#include "record_recycler.hpp"

#include <algorithm>
#include <new>

namespace tachi_trace::detail {

RecordRecycler::~RecordRecycler() {
  RecordsByKind records;
  take_all(records);
  for (auto& stack : records) {
    for (auto* record : stack)
      record->release();
  }
}

void RecordRecycler::give_back(std::vector<SpanRecord*> records) noexcept {
  if (records.empty()) return;
  if (held_.load(std::memory_order_relaxed) + records.size() > capacity_) {
    for (auto* record : records)
      record->release();
    return;
  }
  const SpanKind first_kind = records.front()->data.kind;
  const bool one_kind = std::all_of(records.begin(), records.end(), [&](const SpanRecord* record) {
    return record->data.kind == first_kind;
  });
  if (one_kind) return push(first_kind, std::move(records));  // the common case
  RecordsByKind by_kind;
  try {
    for (auto* record : records)
      by_kind[static_cast<std::size_t>(record->data.kind)].push_back(record);
  } catch (...) {  // out of memory: the records are freed rather than kept
    for (auto* record : records)
      record->release();
    return;
  }
  for (std::size_t kind = 0; kind < by_kind.size(); ++kind) {
    if (!by_kind[kind].empty()) push(static_cast<SpanKind>(kind), std::move(by_kind[kind]));
  }
}

void RecordRecycler::push(SpanKind kind, std::vector<SpanRecord*> records) noexcept {
  auto* chunk = new (std::nothrow) Chunk{nullptr, kind, std::move(records)};
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

void RecordRecycler::take_all(RecordsByKind& out) noexcept {
  Chunk* chunk = head_.exchange(nullptr, std::memory_order_acquire);
  while (chunk != nullptr) {
    held_.fetch_sub(chunk->records.size(), std::memory_order_relaxed);
    auto& stack = out[static_cast<std::size_t>(chunk->kind)];
    try {
      if (stack.empty())
        stack.swap(chunk->records);  // no copy: the chunk's vector becomes the stack
      else
        stack.insert(stack.end(), chunk->records.begin(), chunk->records.end());
    } catch (...) {
      for (auto* record : chunk->records)  // out of memory: freed rather than reused
        record->release();
    }
    delete std::exchange(chunk, chunk->next);
  }
}

}  // namespace tachi_trace::detail
