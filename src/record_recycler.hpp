// Reuse of span records, so a steady stream of spans does not allocate. Private.
//
// Each lane (producing thread) has its own recycler, so a thread reuses the records it wrote last
// and their cache lines are likely still its own. Exporter threads hand exported records back in
// chunks, untouched: each still carries the exported batch's reference, and a span handle or
// context elsewhere may hold another. A producing thread takes all available chunks at once when
// its own cache runs dry, and reuses a record only when that reference is the last
// (Lane::reuse_record). Pushes are lock-free; a take swaps the whole list out, so there is no ABA
// problem.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "span_record.hpp"

namespace tachi_trace::detail {

class RecordRecycler {
 public:
  explicit RecordRecycler(std::size_t capacity) : capacity_(capacity) {}
  RecordRecycler(const RecordRecycler&) = delete;
  RecordRecycler& operator=(const RecordRecycler&) = delete;
  ~RecordRecycler();

  /// Takes over one reference of each record; releases those over capacity.
  void give_back(std::vector<SpanRecord*> records) noexcept;
  /// Moves every available record, with its reference, into `out`.
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

/// `count` consecutive records of a batch that go back to `home`: the recycler of the lane they
/// were drained from.
struct RecordRun {
  std::shared_ptr<RecordRecycler> home;
  std::size_t count = 0;
};

}  // namespace tachi_trace::detail
