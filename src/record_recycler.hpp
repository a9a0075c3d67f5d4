// Reuse of span records, so a steady stream of spans does not allocate. Private.
//
// Exporter threads hand finished records back (uncleared: the lane that reuses one clears it) in
// chunks; a producing thread takes all available chunks at once when its own cache runs dry. Pushes
// are lock-free; a take swaps the whole list out, so there is no ABA problem.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "span_record.hpp"

namespace tachi_trace::detail {

class RecordRecycler {
 public:
  explicit RecordRecycler(std::size_t capacity) : capacity_(capacity) {}
  RecordRecycler(const RecordRecycler&) = delete;
  RecordRecycler& operator=(const RecordRecycler&) = delete;
  ~RecordRecycler();

  /// Takes ownership of records nobody else references; deletes those over capacity.
  void give_back(std::vector<SpanRecord*> records) noexcept;
  /// Moves every available record into `out`.
  void take_all(std::vector<SpanRecord*>& out) noexcept;

 private:
  struct Chunk {
    Chunk* next = nullptr;
    std::vector<SpanRecord*> records;
  };

  const std::size_t capacity_;
  std::atomic<std::size_t> held_{0};
  std::atomic<Chunk*> head_{nullptr};
};

}  // namespace tachi_trace::detail
