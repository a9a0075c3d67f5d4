#include "pipeline_core.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "exporter_worker.hpp"
#include "thread_name.hpp"

namespace tachi_trace {

Deadline deadline_after(std::chrono::milliseconds timeout) noexcept {
  // "No limit" is a far but finite future, so arithmetic and waits on it cannot overflow.
  constexpr auto no_limit = std::chrono::hours(24 * 365 * 10);
  const auto now = std::chrono::steady_clock::now();
  return timeout.count() <= 0 ? now + no_limit : now + timeout;
}

}  // namespace tachi_trace

namespace tachi_trace::detail {

namespace {

// Live pipelines by id, for the one slow path that knows only an id: a span ending on a thread
// that has no lane for its pipeline yet. Ids are never reused.
struct PipelineRegistry {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<PipelineCore>> live;
};

PipelineRegistry& registry() {
  static auto* instance = new PipelineRegistry;  // never destroyed: threads may outlive statics
  return *instance;
}

std::uint64_t next_pipeline_id() {
  std::lock_guard guard(registry().mutex);
  return registry().next_id++;
}

}  // namespace

PipelineCore::PipelineCore(BatchSettings settings, const Resource& resource,
                           std::vector<std::unique_ptr<SpanExporter>> exporters)
    : id_(next_pipeline_id()), settings_(settings), resource_(resource) {
  for (auto& exporter : exporters) {
    if (exporter)
      workers_.push_back(
          std::make_unique<ExporterWorker>(std::move(exporter), resource_, settings_, wakeup_));
  }
}

std::shared_ptr<PipelineCore> PipelineCore::create(
    BatchSettings settings, const Resource& resource,
    std::vector<std::unique_ptr<SpanExporter>> exporters) {
  std::shared_ptr<PipelineCore> core(new PipelineCore(settings, resource, std::move(exporters)));
  {
    std::lock_guard guard(registry().mutex);
    registry().live.emplace(core->id_, core);
  }
  core->start();
  return core;
}

std::shared_ptr<PipelineCore> PipelineCore::find(std::uint64_t id) {
  std::lock_guard guard(registry().mutex);
  auto found = registry().live.find(id);
  return found == registry().live.end() ? nullptr : found->second.lock();
}

void PipelineCore::start() {
  collector_ = std::thread([this] {
    name_this_thread("collector");
    run_collector();
  });
}

PipelineCore::~PipelineCore() {
  shutdown(deadline_after(settings_.export_timeout));
  std::lock_guard guard(registry().mutex);
  registry().live.erase(id_);
}

std::shared_ptr<Lane> PipelineCore::add_lane() {
  // A lane keeps at most a full queue's worth of records for reuse.
  auto lane = std::make_shared<Lane>(settings_.max_queue_size, settings_.max_export_batch_size,
                                     wakeup_, settings_.max_queue_size);
  std::lock_guard guard(lanes_mutex_);
  if (shut_down_.load()) lane->closed.store(true);
  lanes_.push_back(lane);
  return lane;
}

void PipelineCore::run_collector() {
  std::vector<std::shared_ptr<FlushWaiter>> flushes;
  while (true) {
    bool stop = false;
    {
      std::unique_lock lock(wakeup_->mutex);
      // While held back, full lanes are no reason to wake: only room in an exporter's queue is.
      wakeup_->condition.wait_for(lock, settings_.schedule_delay, [&] {
        return (held_back_ ? wakeup_->room_freed.load(std::memory_order_acquire)
                           : wakeup_->pending.load(std::memory_order_acquire)) ||
               !flush_requests_.empty() || stopping_;
      });
      wakeup_->pending.store(false, std::memory_order_release);
      wakeup_->room_freed.store(false, std::memory_order_release);
      flushes.swap(flush_requests_);
      stop = stopping_;
    }
    collect_once(flushes);
    flushes.clear();
    if (stop) break;
  }
}

std::size_t PipelineCore::room_in_exporters() const {
  // The exporter with the most room sets the pace: a slow exporter drops its share of what the
  // others take rather than holding them back.
  if (workers_.empty()) return std::numeric_limits<std::size_t>::max();
  std::size_t most = 0;
  for (const auto& worker : workers_)
    most = std::max(most, worker->room());
  return most;
}

void PipelineCore::collect_once(std::vector<std::shared_ptr<FlushWaiter>>& flushes) {
  std::vector<SpanRecord*> records;
  std::vector<RecordRun> runs;  // which lane each stretch of `records` came from
  // Spans stay in their lanes while no exporter has room for them, so a burst fills the lanes
  // before anything is dropped. A flush takes everything.
  // Room is taken in whole batches: refilling a queue batch by batch with whatever a partial
  // batch freed would keep batches small for good, and small batches export slowly.
  const std::size_t whole_batch =
      std::max<std::size_t>(1, std::min(settings_.max_export_batch_size, settings_.max_queue_size));
  std::size_t room = std::numeric_limits<std::size_t>::max();
  if (flushes.empty()) {
    wakeup_->waiting_for_room.store(true);  // before reading the room: see CollectorWakeup
    room = room_in_exporters();
    if (room != std::numeric_limits<std::size_t>::max()) room -= room % whole_batch;
  }
  bool left_behind = false;
  {
    std::lock_guard guard(lanes_mutex_);
    // Start at a different lane each time, so a limited room is shared between threads.
    const std::size_t lane_count = lanes_.size();
    for (std::size_t step = 0; step < lane_count; ++step) {
      Lane& lane = *lanes_[(first_lane_ + step) % lane_count];
      const std::size_t drained =
          lane.drain(records, std::min<std::size_t>(room, settings_.max_queue_size));
      if (drained != 0) runs.push_back({lane.recycler(), drained});
      room -= drained;
      left_behind = left_behind || lane.size() != 0;
    }
    if (lane_count != 0) first_lane_ = (first_lane_ + 1) % lane_count;

    // A lane whose thread has exited is drained one last time and retired.
    std::erase_if(lanes_, [&](const std::shared_ptr<Lane>& lane) {
      if (!lane->producer_gone.load(std::memory_order_acquire) || lane->size() != 0) return false;
      retired_started_ += lane->started.read();
      retired_sampled_out_ += lane->sampled_out.read();
      retired_ended_ += lane->ended.read();
      retired_dropped_ += lane->dropped.read();
      return true;
    });
  }
  {
    std::lock_guard wake_guard(wakeup_->mutex);
    held_back_ = left_behind && room < whole_batch;
    wakeup_->waiting_for_room.store(held_back_);
  }
  dispatch(
      records, runs,
      flushes.empty() ? ExporterWorker::QueueLimit::normal : ExporterWorker::QueueLimit::flushing);
  for (auto& waiter : flushes)
    for (auto& worker : workers_)
      worker->enqueue_flush(waiter);
}

void PipelineCore::dispatch(std::vector<SpanRecord*>& records, std::vector<RecordRun>& runs,
                            ExporterWorker::QueueLimit limit) {
  const std::size_t batch_size = std::max<std::uint32_t>(settings_.max_export_batch_size, 1);
  std::size_t run = 0;
  std::size_t used_of_run = 0;  // records of runs[run] already in earlier batches
  for (std::size_t first = 0; first < records.size(); first += batch_size) {
    const std::size_t last = std::min(records.size(), first + batch_size);
    // The stretches of lanes this batch covers, so its records go back where they came from.
    std::vector<RecordRun> batch_runs;
    for (std::size_t needed = last - first; needed != 0;) {
      const std::size_t taken = std::min(needed, runs[run].count - used_of_run);
      batch_runs.push_back({runs[run].home, taken});
      needed -= taken;
      used_of_run += taken;
      if (used_of_run == runs[run].count) {
        ++run;
        used_of_run = 0;
      }
    }
    auto batch = std::make_shared<SpanBatch>(
        std::vector<SpanRecord*>(records.begin() + first, records.begin() + last),
        std::move(batch_runs));
    for (auto& worker : workers_)
      worker->enqueue(batch, limit);
  }
  records.clear();
  runs.clear();
}

bool PipelineCore::force_flush(Deadline deadline) {
  if (shut_down_.load()) return false;
  return flush_and_wait(deadline);
}

bool PipelineCore::flush_and_wait(Deadline deadline) {
  auto waiter = std::make_shared<FlushWaiter>(workers_.size());
  {
    std::lock_guard guard(wakeup_->mutex);
    flush_requests_.push_back(waiter);
    wakeup_->pending.store(true, std::memory_order_release);
  }
  wakeup_->condition.notify_one();
  return workers_.empty() ? true : waiter->wait_until(deadline);
}

bool PipelineCore::shutdown(Deadline deadline) {
  std::lock_guard guard(shutdown_mutex_);
  if (shut_down_.load()) return shutdown_result_;
  {
    std::lock_guard lanes_guard(lanes_mutex_);
    shut_down_.store(true);
    for (auto& lane : lanes_)
      lane->closed.store(true, std::memory_order_release);
  }
  bool flushed = flush_and_wait(deadline);
  {
    std::lock_guard wake_guard(wakeup_->mutex);
    stopping_ = true;
  }
  wakeup_->condition.notify_one();
  if (collector_.joinable()) collector_.join();
  bool stopped = true;
  for (auto& worker : workers_)
    stopped = worker->stop(deadline) && stopped;
  shutdown_result_ = flushed && stopped;
  return shutdown_result_;
}

PipelineCounters PipelineCore::counters() const {
  PipelineCounters counters;
  std::uint64_t lane_dropped = 0;
  {
    std::lock_guard guard(lanes_mutex_);
    counters.spans_started = retired_started_;
    counters.spans_sampled_out = retired_sampled_out_;
    counters.spans_ended = retired_ended_;
    lane_dropped = retired_dropped_;
    for (const auto& lane : lanes_) {
      counters.spans_started += lane->started.read();
      counters.spans_sampled_out += lane->sampled_out.read();
      counters.spans_ended += lane->ended.read();
      lane_dropped += lane->dropped.read();
      counters.spans_queued += lane->size();
    }
  }
  counters.spans_dropped_before_export = lane_dropped;
  const bool finished = shut_down_.load();
  for (const auto& worker : workers_) {
    ExporterCounters exporter = worker->counters();
    exporter.dropped += lane_dropped;
    // After shutdown nothing more is collected: what still waits in a lane is lost.
    if (finished) exporter.dropped += counters.spans_queued;
    counters.exporters.push_back(std::move(exporter));
  }
  return counters;
}

}  // namespace tachi_trace::detail
