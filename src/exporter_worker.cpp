#include "exporter_worker.hpp"

#include <algorithm>

#include "thread_name.hpp"

namespace tachi_trace::detail {

SpanBatch::SpanBatch(std::vector<SpanRecord*> records, std::vector<RecordRun> runs)
    : records_(std::move(records)), spans_(records_.size()), runs_(std::move(runs)) {
  std::transform(records_.begin(), records_.end(), spans_.begin(),
                 [](const SpanRecord* record) { return &record->data; });
}

SpanBatch::~SpanBatch() {
  // Every record goes back as it is, without this thread touching it: the producing thread that
  // reuses a record checks that nobody else still holds it (and clears it), and it is about to
  // write those cache lines anyway.
  if (runs_.size() == 1) {
    runs_.front().home->give_back(std::move(records_));
    return;
  }
  auto first = records_.begin();
  for (const auto& run : runs_) {
    const auto last = first + static_cast<std::ptrdiff_t>(run.count);
    try {
      run.home->give_back(std::vector<SpanRecord*>(first, last));
    } catch (...) {
      std::for_each(first, last, [](SpanRecord* record) { record->release(); });  // out of memory
    }
    first = last;
  }
}

void FlushWaiter::arrive(bool succeeded) {
  std::lock_guard guard(mutex);
  all_succeeded = all_succeeded && succeeded;
  if (--remaining == 0) done.notify_all();
}

bool FlushWaiter::wait_until(Deadline deadline) {
  std::unique_lock lock(mutex);
  bool finished = done.wait_until(lock, deadline, [&] { return remaining == 0; });
  return finished && all_succeeded;
}

ExporterWorker::ExporterWorker(std::unique_ptr<SpanExporter> exporter, const Resource& resource,
                               const BatchSettings& settings,
                               std::shared_ptr<CollectorWakeup> wakeup)
    : exporter_(std::move(exporter)),
      resource_(resource),
      settings_(settings),
      wakeup_(std::move(wakeup)) {
  thread_ = std::thread([this] {
    name_this_thread(exporter_->name());
    run();
  });
}

ExporterWorker::~ExporterWorker() {
  stop(deadline_after(settings_.export_timeout));
}

void ExporterWorker::enqueue(std::shared_ptr<SpanBatch> batch, QueueLimit limit) {
  const std::size_t capacity = limit == QueueLimit::flushing
                                   ? 2 * static_cast<std::size_t>(settings_.max_queue_size)
                                   : settings_.max_queue_size;
  {
    std::lock_guard guard(mutex_);
    if (!stopping_ && queued_spans_ + batch->size() <= capacity) {
      queued_spans_ += batch->size();
      queue_.push_back(std::move(batch));
      changed_.notify_one();
      return;
    }
  }
  dropped_.fetch_add(batch->size(), std::memory_order_relaxed);
}

std::size_t ExporterWorker::room() const {
  std::lock_guard guard(mutex_);
  return queued_spans_ >= settings_.max_queue_size ? 0 : settings_.max_queue_size - queued_spans_;
}

void ExporterWorker::enqueue_flush(std::shared_ptr<FlushWaiter> waiter) {
  {
    std::lock_guard guard(mutex_);
    if (!stopping_) {
      queue_.push_back(waiter);
      changed_.notify_one();
      return;
    }
  }
  waiter->arrive(false);
}

bool ExporterWorker::stop(Deadline deadline) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) return true;
  stopping_ = true;
  stop_deadline_ = deadline;
  changed_.notify_all();
  // The worker exports what is queued, then shuts the exporter down. If it is still busy at the
  // deadline, the exporter is asked to abandon its current call; what is left is dropped.
  bool finished = changed_.wait_until(lock, deadline, [&] { return queue_.empty() && !busy_; });
  lock.unlock();
  if (!finished) exporter_->cancel();
  thread_.join();
  return finished;
}

void ExporterWorker::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;
    Item item = std::move(queue_.front());
    queue_.pop_front();
    if (auto* batch = std::get_if<std::shared_ptr<SpanBatch>>(&item)) {
      queued_spans_ -= (*batch)->size();
      wakeup_->notify_room();
    }
    const bool out_of_time = stopping_ && std::chrono::steady_clock::now() >= stop_deadline_;
    Deadline deadline = deadline_after(settings_.export_timeout);
    if (stopping_) deadline = std::min(deadline, stop_deadline_);
    busy_ = true;
    lock.unlock();
    process(item, out_of_time, deadline);
    item = {};  // release the batch's records outside the lock
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
  const Deadline deadline = stop_deadline_;
  lock.unlock();
  exporter_->shutdown(deadline);
}

void ExporterWorker::process(const Item& item, bool out_of_time, Deadline deadline) {
  if (const auto* waiter = std::get_if<std::shared_ptr<FlushWaiter>>(&item)) {
    (*waiter)->arrive(!out_of_time && exporter_->force_flush(deadline));
    return;
  }
  const SpanBatch& batch = *std::get<std::shared_ptr<SpanBatch>>(item);
  if (out_of_time) {
    dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
    return;
  }
  ExportResult result = exporter_->export_spans(ExportBatch{resource_, batch.spans(), deadline});
  if (result.ok()) {
    const std::uint64_t rejected = std::min<std::uint64_t>(result.rejected_spans, batch.size());
    exported_.fetch_add(batch.size() - rejected, std::memory_order_relaxed);
    dropped_.fetch_add(rejected, std::memory_order_relaxed);
  } else {
    failed_exports_.fetch_add(1, std::memory_order_relaxed);
    dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
}

ExporterCounters ExporterWorker::counters() const {
  return ExporterCounters{std::string(exporter_->name()), exported_.load(), dropped_.load(),
                          failed_exports_.load()};
}

}  // namespace tachi_trace::detail
