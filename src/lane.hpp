// Per-thread span buffers ("lanes") between the threads that end spans and the collector. Private.
//
// Each producing thread owns one lane per pipeline: a single-producer, single-consumer ring plus
// counters that only the owning thread writes. So ending a span touches no shared cache line but
// the ring slot, and no lock.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "record_recycler.hpp"
#include "span_record.hpp"

namespace tachi_trace::detail {

/// Wakes the collector early: when a lane holds a full batch, when an exporter's queue has room
/// again, on flush, or on shutdown.
struct CollectorWakeup {
  std::mutex mutex;
  std::condition_variable condition;
  std::atomic<bool> pending{false};     // a lane holds a full batch
  std::atomic<bool> room_freed{false};  // an exporter took a batch off its queue
  // Set by the collector before it reads the exporters' room, and left set only while it waits
  // for room; an exporter reads it after freeing room (under its queue's mutex), so either the
  // collector sees the room or the exporter sees the flag. Without it, every exported batch woke
  // the collector for nothing.
  std::atomic<bool> waiting_for_room{false};

  void notify() noexcept { raise(pending); }
  void notify_room() noexcept {
    if (waiting_for_room.load()) raise(room_freed);
  }

 private:
  void raise(std::atomic<bool>& flag) noexcept {
    // Read first: while a wake-up is pending, every producer above the threshold asks again, and
    // an exchange would move the flag's cache line between their cores on every span. A read that
    // is stale by a few nanoseconds (the collector clearing the flag just then) can only delay the
    // wake-up to the producer's next span or the schedule delay; nothing is lost.
    if (flag.load(std::memory_order_relaxed) || flag.exchange(true, std::memory_order_acq_rel))
      return;
    { std::lock_guard guard(mutex); }
    condition.notify_one();
  }
};

inline constexpr std::size_t span_kind_count = static_cast<std::size_t>(SpanKind::consumer) + 1;

/// Records kept for reuse, one stack per kind of span they last held.
using RecordsByKind = std::array<std::vector<SpanRecord*>, span_kind_count>;

/// A counter written by one thread and read by others.
class OwnedCounter {
 public:
  void increment() noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::uint64_t read() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Lane {
 public:
  Lane(std::uint32_t capacity, std::uint32_t wake_threshold,
       std::shared_ptr<CollectorWakeup> wakeup, std::size_t recycled_capacity);
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;
  ~Lane();

  /// Producer side. Takes over the record's reference; when the ring is full or the pipeline has
  /// shut down, the record is released and counted as dropped.
  void push(SpanRecord* record) noexcept;

  /// Producer side: a cleared record of this pipeline to reuse, or null when none is at hand.
  /// One that last held a span of `kind` when there is one: spans of one kind mostly set the
  /// same attributes in the same order, so the record's keys, and often its values, are already
  /// in place, and the span writes fewer of its cache lines.
  SpanRecord* reuse_record(SpanKind kind) noexcept;

  /// Consumer side: moves up to `limit` records into `out`.
  std::size_t drain(std::vector<SpanRecord*>& out, std::size_t limit) noexcept;
  std::size_t size() const noexcept;
  /// Where the records drained from this lane go back after export.
  const std::shared_ptr<RecordRecycler>& recycler() const noexcept { return recycler_; }

  OwnedCounter started;
  OwnedCounter sampled_out;
  OwnedCounter ended;
  OwnedCounter dropped;
  std::atomic<bool> closed{false};         // the pipeline no longer takes spans
  std::atomic<bool> producer_gone{false};  // the owning thread has exited

 private:
  [[gnu::noinline]] SpanRecord* reuse_record_slowly(SpanKind kind) noexcept;
  /// Asks for the lines of the record the next span of `kind` will likely reuse.
  void prefetch_next_record(SpanKind kind) const noexcept;
  /// Moves what the recycler holds into `recycled_`; false when it held nothing.
  bool take_recycled() noexcept;
  /// Files a record by the kind of span it last held.
  void keep_for_reuse(SpanRecord* record) noexcept;
  [[gnu::noinline]] void drop(SpanRecord* record) noexcept;
  /// Above the wake threshold: wakes the collector, and yields the processor when nearly full.
  [[gnu::noinline]] void ask_for_collection(std::uint64_t held) noexcept;

  const std::uint32_t capacity_;
  const std::uint32_t wake_threshold_;
  const std::uint32_t yield_threshold_;
  const std::uint32_t yield_interval_;
  const std::uint64_t mask_;
  const std::unique_ptr<SpanRecord*[]> slots_;
  const std::shared_ptr<CollectorWakeup> wakeup_;
  const std::shared_ptr<RecordRecycler> recycler_;
  RecordsByKind reusable_;             // producer only
  std::vector<SpanRecord*> recycled_;  // producer only: handed back, not filed yet

  alignas(64) std::atomic<std::uint64_t> head_{0};  // next slot to write (producer)
  std::uint64_t cached_tail_ = 0;                   // producer's last view of tail_
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // next slot to read (consumer)
};

class PipelineCore;

// The lane used last on this thread: plain thread-locals (no initialisation guard), so the common
// case of one pipeline costs two thread-local reads.
inline thread_local std::uint64_t last_pipeline_id = 0;
inline thread_local Lane* last_lane = nullptr;

Lane* find_or_register_lane(std::uint64_t pipeline_id, PipelineCore* core) noexcept;

/// The calling thread's lane for the pipeline `pipeline_id`. `core` may be null when only the id
/// is known (a span ending on a thread that has not used this pipeline yet); returns null when the
/// pipeline no longer exists.
inline Lane* lane_for(std::uint64_t pipeline_id, PipelineCore* core) noexcept {
  if (last_pipeline_id == pipeline_id) return last_lane;
  return find_or_register_lane(pipeline_id, core);
}

}  // namespace tachi_trace::detail
