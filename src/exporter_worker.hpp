// One exporter's queue and thread. Private.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "lane.hpp"
#include "record_recycler.hpp"
#include "span_record.hpp"
#include "tachi_trace/pipeline.hpp"

namespace tachi_trace::detail {

/// Spans drained together, shared by every exporter; releases its records when the last exporter
/// is done with it.
class SpanBatch {
 public:
  /// `runs` say which recycler each stretch of `records` goes back to; their counts add up to
  /// records.size().
  SpanBatch(std::vector<SpanRecord*> records, std::vector<RecordRun> runs);
  SpanBatch(const SpanBatch&) = delete;
  SpanBatch& operator=(const SpanBatch&) = delete;
  ~SpanBatch();

  std::span<const SpanData* const> spans() const noexcept { return spans_; }
  std::size_t size() const noexcept { return spans_.size(); }

 private:
  std::vector<SpanRecord*> records_;
  std::vector<const SpanData*> spans_;
  std::vector<RecordRun> runs_;
};

/// Counts down as each exporter finishes a flush; the caller waits on it.
struct FlushWaiter {
  explicit FlushWaiter(std::size_t exporters) : remaining(exporters) {}

  void arrive(bool succeeded);
  bool wait_until(Deadline deadline);

  std::mutex mutex;
  std::condition_variable done;
  std::size_t remaining;
  bool all_succeeded = true;
};

class ExporterWorker {
 public:
  /// `wakeup` is told whenever the worker takes a batch off its queue (there is room again).
  ExporterWorker(std::unique_ptr<SpanExporter> exporter, const Resource& resource,
                 const BatchSettings& settings, std::shared_ptr<CollectorWakeup> wakeup);
  ExporterWorker(const ExporterWorker&) = delete;
  ExporterWorker& operator=(const ExporterWorker&) = delete;
  ~ExporterWorker();

  /// How full the queue may get: max_queue_size spans, or twice that for a flush, which takes
  /// what the lanes held back while the queue was full (never waiting, so a hung exporter holds
  /// up no other, and never more, so repeated flushes cannot grow the queue without bound).
  enum class QueueLimit : std::uint8_t { normal, flushing };
  /// Queues a batch, or drops and counts it when it does not fit within `limit`.
  void enqueue(std::shared_ptr<SpanBatch> batch, QueueLimit limit = QueueLimit::normal);
  /// How many more spans the queue takes now.
  std::size_t room() const;
  /// Queues a flush marker: the waiter is told once everything queued before it is exported.
  void enqueue_flush(std::shared_ptr<FlushWaiter> waiter);
  /// Exports what is queued (by `deadline`), shuts the exporter down and joins the thread.
  bool stop(Deadline deadline);

  ExporterCounters counters() const;

 private:
  using Item = std::variant<std::shared_ptr<SpanBatch>, std::shared_ptr<FlushWaiter>>;
  void run();
  void process(const Item& item, bool out_of_time, Deadline deadline);

  const std::unique_ptr<SpanExporter> exporter_;
  const Resource& resource_;
  const BatchSettings settings_;
  const std::shared_ptr<CollectorWakeup> wakeup_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  std::size_t queued_spans_ = 0;
  bool stopping_ = false;
  bool busy_ = false;
  Deadline stop_deadline_ = Deadline::max();

  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_exports_{0};
  std::thread thread_;
};

}  // namespace tachi_trace::detail
