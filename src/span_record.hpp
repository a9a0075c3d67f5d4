// The shared state behind a recording span: data, limits and a reference count. Private.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "prefetch.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace::detail {

/// A lock for the few nanoseconds a span operation takes; uncontended in practice (a span is
/// rarely touched by two threads at once), so it spins rather than sleeping.
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed))
        __builtin_ia32_pause();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

struct SpanRecord {
  SpanRecord(std::uint64_t pipeline, const SpanLimits& span_limits) noexcept
      : pipeline_id(pipeline), limits(span_limits) {}

  /// Clears the record for reuse by a new span of the same pipeline, keeping vector capacity
  /// (within reason) so the next span need not allocate. Only for a record nobody references.
  /// Context, parent, name, kind, scope and times are left for Tracer::start_span to overwrite.
  void reset_for_reuse() noexcept;

  void retain() noexcept { references.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (references.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }
  /// Ask for the record's own cache lines, or for what they point to (the attribute elements it
  /// kept, a name too long to be held inline), with the intent to write them (see
  /// Lane::prefetch_next_record). Hints only: nothing is written.
  void prefetch_header_for_reuse() const noexcept { prefetch_for_writing(this, sizeof *this); }
  void prefetch_contents_for_reuse() const noexcept {
    prefetch_for_writing(data.attributes.begin(), data.attributes.kept() * sizeof(Attribute));
    prefetch_for_writing(data.name.data(), data.name.size());
  }
  /// Out of line, so that the many places that release a record do not each inline its destructor.
  [[gnu::noinline]] static void destroy(SpanRecord* record) noexcept;

  std::atomic<std::uint32_t> references{1};
  std::atomic<bool> ended{false};  // written under `lock`
  SpinLock lock;
  const std::uint64_t pipeline_id;
  const SpanLimits limits;
  std::uint64_t start_ticks = 0;  // see clock.hpp
  // One bit per attribute key set on this span, by a hash of the key (attribute_key_bit): a key
  // whose bit is clear is new, so setting it needs no search of the attributes already set.
  // Written under `lock`.
  std::uint64_t attribute_key_bits = 0;
  bool explicit_start_time = false;
  SpanData data;  // its attribute list keeps the previous span's elements for reuse
};

/// The bit of SpanRecord::attribute_key_bits for `key`: from its length and two of its bytes,
/// which tell most keys of one span apart (a shared bit only costs a search).
inline std::uint64_t attribute_key_bit(std::string_view key) noexcept {
  const std::size_t size = key.size();
  const unsigned mixed = size == 0 ? 0u
                                   : static_cast<unsigned>(size) * 7u +
                                         static_cast<unsigned char>(key[size - 1]) * 3u +
                                         static_cast<unsigned char>(key[size / 2]);
  return std::uint64_t{1} << (mixed & 63u);
}

/// Hands an ended, sampled span to its pipeline; takes over one reference.
void submit_ended_span(SpanRecord* record) noexcept;

}  // namespace tachi_trace::detail
