// The batch pipeline behind a TracerProvider: lanes, the collector thread and one worker thread
// per exporter. Private.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "exporter_worker.hpp"
#include "lane.hpp"
#include "tachi_trace/pipeline.hpp"

namespace tachi_trace::detail {

class PipelineCore : public std::enable_shared_from_this<PipelineCore> {
 public:
  static std::shared_ptr<PipelineCore> create(BatchSettings settings, const Resource& resource,
                                              std::vector<std::unique_ptr<SpanExporter>> exporters);
  /// The live pipeline with this id, or null.
  static std::shared_ptr<PipelineCore> find(std::uint64_t id);

  PipelineCore(const PipelineCore&) = delete;
  PipelineCore& operator=(const PipelineCore&) = delete;
  ~PipelineCore();

  std::uint64_t id() const noexcept { return id_; }
  std::shared_ptr<Lane> add_lane();

  bool force_flush(Deadline deadline);
  bool shutdown(Deadline deadline);
  PipelineCounters counters() const;

 private:
  PipelineCore(BatchSettings settings, const Resource& resource,
               std::vector<std::unique_ptr<SpanExporter>> exporters);
  void start();
  void run_collector();
  void collect_once(std::vector<std::shared_ptr<FlushWaiter>>& flushes);
  void dispatch(std::vector<SpanRecord*>& records, std::vector<RecordRun>& runs,
                ExporterWorker::QueueLimit limit);
  std::size_t room_in_exporters() const;
  bool flush_and_wait(Deadline deadline);

  const std::uint64_t id_;
  const BatchSettings settings_;
  const Resource resource_;
  const std::shared_ptr<CollectorWakeup> wakeup_ = std::make_shared<CollectorWakeup>();

  mutable std::mutex lanes_mutex_;
  std::vector<std::shared_ptr<Lane>> lanes_;
  std::uint64_t retired_started_ = 0, retired_sampled_out_ = 0, retired_ended_ = 0,
                retired_dropped_ = 0;  // counters of lanes whose thread has gone

  std::vector<std::unique_ptr<ExporterWorker>> workers_;
  std::vector<std::shared_ptr<FlushWaiter>> flush_requests_;  // guarded by wakeup_->mutex
  bool stopping_ = false;                                     // guarded by wakeup_->mutex
  bool held_back_ = false;      // lanes hold spans no exporter has room for; by wakeup_->mutex
  std::size_t first_lane_ = 0;  // collector thread only
  std::thread collector_;

  std::mutex shutdown_mutex_;  // serialises shutdown calls
  std::atomic<bool> shut_down_{false};
  bool shutdown_result_ = true;  // guarded by shutdown_mutex_
};

}  // namespace tachi_trace::detail
