#include "lane.hpp"

#include <algorithm>
#include <bit>

#include <sched.h>

#include "pipeline_core.hpp"

namespace tachi_trace::detail {

Lane::Lane(std::uint32_t capacity, std::uint32_t wake_threshold,
           std::shared_ptr<CollectorWakeup> wakeup, std::size_t recycled_capacity)
    : capacity_(std::max<std::uint32_t>(capacity, 1)),
      wake_threshold_(std::clamp<std::uint32_t>(wake_threshold, 1, capacity_)),
      yield_threshold_(std::max(wake_threshold_, capacity_ - capacity_ / 4)),
      yield_interval_(std::max<std::uint32_t>(1, capacity_ / 32)),
      mask_(std::bit_ceil(static_cast<std::uint64_t>(capacity_)) - 1),
      slots_(new SpanRecord*[mask_ + 1]),
      wakeup_(std::move(wakeup)),
      recycler_(std::make_shared<RecordRecycler>(recycled_capacity)) {}

Lane::~Lane() {
  std::vector<SpanRecord*> leftovers;
  drain(leftovers, capacity_);
  for (auto* record : leftovers)
    record->release();
  for (auto& records : reusable_) {
    for (auto* record : records)
      record->release();
  }
  for (auto* record : recycled_)
    record->release();
}

namespace {

std::vector<SpanRecord*>& stack_for(RecordsByKind& stacks, SpanKind kind) noexcept {
  return stacks[static_cast<std::size_t>(kind)];
}

// The record, cleared, when nobody else references it; else null, and the record is let go (a
// handle or context elsewhere still holds it, and its last holder frees it).
SpanRecord* claim(SpanRecord* record) noexcept {
  if (record->references.load(std::memory_order_acquire) == 1) {
    record->reset_for_reuse();
    return record;
  }
  record->release();
  return nullptr;
}

// The top record of `stack` that nobody else references, cleared; null when there is none.
SpanRecord* take_free_record(std::vector<SpanRecord*>& stack) noexcept {
  while (!stack.empty()) {
    SpanRecord* record = stack.back();
    stack.pop_back();
    if (SpanRecord* claimed = claim(record)) return claimed;
  }
  return nullptr;
}

}  // namespace

SpanRecord* Lane::reuse_record(SpanKind kind) noexcept {
  // A filed record of this kind, else the next one handed back when it is of this kind.
  auto& stack = stack_for(reusable_, kind);
  auto& source = stack.empty() ? recycled_ : stack;
  if (!source.empty()) {
    SpanRecord* record = source.back();
    // With only our reference left nobody can take another, so the record is ours to clear.
    if (record->references.load(std::memory_order_acquire) == 1 && record->data.kind == kind)
        [[likely]] {
      source.pop_back();
      record->reset_for_reuse();
      prefetch_next_record(kind);
      return record;
    }
  }
  SpanRecord* record = reuse_record_slowly(kind);
  if (record != nullptr) prefetch_next_record(kind);
  return record;
}

void Lane::prefetch_next_record(SpanKind kind) const noexcept {
  // An exporter thread read these records last, likely on another processor, so their lines
  // are there. Left until a span reuses one, each setter waits for its own line in turn (a
  // setter's lock lets no later access overtake it); asked for a span or two ahead, the lines
  // arrive together while other spans run. Two steps, because the attribute elements' address is
  // in the record: its own lines two spans ahead, the elements (and a long name) one span ahead.
  // The bench line span_server_12_attributes_encoded measures spans made this way.
  const auto& stack = reusable_[static_cast<std::size_t>(kind)];
  const auto& source = stack.empty() ? recycled_ : stack;
  const std::size_t size = source.size();
  if (size >= 1) source[size - 1]->prefetch_contents_for_reuse();
  if (size >= 2) source[size - 2]->prefetch_header_for_reuse();
}

SpanRecord* Lane::reuse_record_slowly(SpanKind kind) noexcept {
  auto& stack = stack_for(reusable_, kind);
  if (SpanRecord* record = take_free_record(stack)) return record;
  // Records handed back are filed by kind only as this thread reaches them, not all at once:
  // reading a record the exporter has just read waits for its cache line, and a whole batch of
  // such reads ahead of use cost the OTLP export benchmark a fifth of its throughput.
  while (!recycled_.empty() || take_recycled()) {
    SpanRecord* record = recycled_.back();
    recycled_.pop_back();
    if (record->data.kind != kind)
      keep_for_reuse(record);
    else if (SpanRecord* claimed = claim(record))
      return claimed;
  }
  // None of this kind: any other record is still better than an allocation.
  for (auto& other : reusable_) {
    if (SpanRecord* record = take_free_record(other)) return record;
  }
  return nullptr;
}

bool Lane::take_recycled() noexcept {
  recycler_->take_all(recycled_);
  return !recycled_.empty();
}

void Lane::keep_for_reuse(SpanRecord* record) noexcept {
  try {
    stack_for(reusable_, record->data.kind).push_back(record);
  } catch (...) {
    record->release();  // out of memory: freed rather than kept
  }
}

void Lane::push(SpanRecord* record) noexcept {
  ended.increment();
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - cached_tail_ >= capacity_) cached_tail_ = tail_.load(std::memory_order_acquire);
  if (head - cached_tail_ >= capacity_ || closed.load(std::memory_order_acquire)) [[unlikely]] {
    drop(record);
    return;
  }
  slots_[head & mask_] = record;
  head_.store(head + 1, std::memory_order_release);
  if (head + 1 - cached_tail_ >= wake_threshold_) {
    // Refresh before waking, so a stale view does not wake the collector on every span.
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head + 1 - cached_tail_ >= wake_threshold_) ask_for_collection(head + 1 - cached_tail_);
  }
}

void Lane::ask_for_collection(std::uint64_t held) noexcept {
  wakeup_->notify();
  // A lane this full means the collector and exporter threads were woken but have not run: on a
  // machine whose processors the producers keep busy, the scheduler may leave them waiting for
  // milliseconds, long enough for the lane to overflow and drop. Offering the processor a few
  // times on the way to full lets them drain it; when nothing else waits, the yield returns at
  // once. A lane that is full drops without yielding, so a hung exporter slows nobody down.
  if (held >= yield_threshold_ && held % yield_interval_ == 0) sched_yield();
}

void Lane::drop(SpanRecord* record) noexcept {
  dropped.increment();
  // Kept for this thread's next span rather than freed: a producer outrunning its exporters would
  // otherwise pay for an allocation on every span it drops.
  keep_for_reuse(record);
}

std::size_t Lane::drain(std::vector<SpanRecord*>& out, std::size_t limit) noexcept {
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  const std::uint64_t head = head_.load(std::memory_order_acquire);
  const std::size_t count = std::min<std::uint64_t>(head - tail, limit);
  // At most two contiguous runs of slots: up to the ring's end, then from its start.
  const std::size_t first = tail & mask_;
  const std::size_t up_to_end = std::min<std::size_t>(count, mask_ + 1 - first);
  out.insert(out.end(), slots_.get() + first, slots_.get() + first + up_to_end);
  out.insert(out.end(), slots_.get(), slots_.get() + (count - up_to_end));
  tail_.store(tail + count, std::memory_order_release);
  return count;
}

std::size_t Lane::size() const noexcept {
  return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
}

namespace {

// Set once the thread's cache is destroyed: a span ending later in thread exit (from another
// thread_local's destructor) is dropped rather than touching the destroyed cache.
thread_local bool lane_cache_destroyed = false;

void remember_last(std::uint64_t pipeline_id, Lane* lane) noexcept {
  last_pipeline_id = pipeline_id;
  last_lane = lane;
}

struct LaneCache {
  std::vector<std::pair<std::uint64_t, std::shared_ptr<Lane>>> lanes;

  ~LaneCache() {
    lane_cache_destroyed = true;
    remember_last(0, nullptr);
    for (auto& [id, lane] : lanes)
      lane->producer_gone.store(true, std::memory_order_release);
  }

  Lane* find(std::uint64_t pipeline_id) noexcept {
    for (auto& [id, lane] : lanes) {
      if (id == pipeline_id) return lane.get();
    }
    return nullptr;
  }

  void forget_closed_lanes() {
    std::erase_if(lanes, [](const auto& entry) {
      return entry.second->closed.load(std::memory_order_acquire);
    });
    remember_last(0, nullptr);
  }
};

thread_local LaneCache lane_cache;

Lane* register_lane(std::uint64_t pipeline_id, PipelineCore* core) {
  std::shared_ptr<PipelineCore> keep_alive;
  if (core == nullptr) {
    keep_alive = PipelineCore::find(pipeline_id);
    core = keep_alive.get();
  }
  if (core == nullptr) return nullptr;
  if (lane_cache.lanes.size() >= 16) lane_cache.forget_closed_lanes();
  lane_cache.lanes.emplace_back(pipeline_id, core->add_lane());
  return lane_cache.lanes.back().second.get();
}

}  // namespace

Lane* find_or_register_lane(std::uint64_t pipeline_id, PipelineCore* core) noexcept {
  if (lane_cache_destroyed) return nullptr;
  Lane* lane = lane_cache.find(pipeline_id);
  if (lane == nullptr) lane = register_lane(pipeline_id, core);
  if (lane != nullptr) remember_last(pipeline_id, lane);
  return lane;
}

}  // namespace tachi_trace::detail
