// The export side: the exporter interface, batch settings and the counters a user can read.
//
// Ending a span hands it to a buffer owned by the ending thread (no global lock). A collector
// thread drains those buffers into batches and gives each exporter its own queue and export thread,
// so a slow or failing exporter never blocks span creation nor the other exporters. What does not
// fit in a queue is dropped and counted: after shutdown, for every exporter, `spans_ended ==
// exported + dropped` holds exactly.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/resource.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

using Deadline = std::chrono::steady_clock::time_point;
/// `timeout` from now; a zero timeout means no limit (as OTEL_*_TIMEOUT=0 does).
Deadline deadline_after(std::chrono::milliseconds timeout) noexcept;

struct ExportBatch {
  const Resource& resource;
  std::span<const SpanData* const> spans;
  Deadline deadline;  // the export must finish (or give up) by then
};

struct ExportResult {
  enum class Status : std::uint8_t { success, failure };
  Status status = Status::success;
  std::uint64_t rejected_spans = 0;  // partial success: spans the backend refused
  std::string message;               // why it failed or what was rejected; never secrets

  static ExportResult success() { return {}; }
  static ExportResult failure(std::string why) { return {Status::failure, 0, std::move(why)}; }
  bool ok() const noexcept { return status == Status::success; }
};

/// One destination for spans. Each exporter is called from its own thread, one batch at a time.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  /// A short name for counters and diagnostics ("otlp", "zipkin", "console", ...).
  virtual std::string_view name() const noexcept = 0;
  /// Sends a batch. Must return by `batch.deadline`; must not throw.
  virtual ExportResult export_spans(const ExportBatch& batch) noexcept = 0;
  /// Flushes anything the exporter buffers itself.
  virtual bool force_flush(Deadline /*deadline*/) noexcept { return true; }
  /// Called once, after the last export, from the thread that shuts the pipeline down.
  virtual void shutdown(Deadline /*deadline*/) noexcept {}
  /// Called from another thread while `export_spans` may be running, when the pipeline is out of
  /// time: make that call return as soon as possible.
  virtual void cancel() noexcept {}
};

struct BatchSettings {
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT; 0 = no limit
  std::uint32_t max_queue_size = 2048;              // OTEL_BSP_MAX_QUEUE_SIZE
  std::uint32_t max_export_batch_size = 512;        // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
};

struct ExporterCounters {
  std::string name;
  std::uint64_t exported = 0;        // accepted by the backend
  std::uint64_t dropped = 0;         // queue full, export failed, rejected, or after shutdown
  std::uint64_t failed_exports = 0;  // export calls that failed (each drops its whole batch)
};

struct PipelineCounters {
  std::uint64_t spans_started = 0;                // every span started, recording or not
  std::uint64_t spans_sampled_out = 0;            // started but not recorded
  std::uint64_t spans_ended = 0;                  // sampled spans ended (handed to the exporters)
  std::uint64_t spans_dropped_before_export = 0;  // queue full or after shutdown; counted in
                                                  // every exporter's `dropped` too
  std::uint64_t spans_queued = 0;                 // waiting for the collector right now
  std::vector<ExporterCounters> exporters;
};

}  // namespace tachi_trace
