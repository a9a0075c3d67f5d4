// The trace viewer store: an exporter that keeps the most recent traces in process, grouped by
// trace id, for a built-in trace viewer (the sample server's /debug/traces) or a program that
// inspects its own traces.
//
//   auto store = std::make_shared<tachi_trace::TraceViewerStore>();  // 1000 traces by default
//   exporters.push_back(tachi_trace::make_viewer_exporter(store));
//   ... store->list_json();                  // what /debug/traces.json serves
//   ... store->trace_json(trace_id);         // one trace with all its spans, or nullopt
//
// Spans are grouped as they arrive, whatever the order: children before or after their parent,
// in one batch or many. Memory is bounded twice: at most `max_traces` traces are kept (adding a
// span to a new trace when full evicts the trace that was updated longest ago) and at most
// `max_spans_per_trace` spans per trace (later spans of that trace are dropped). Both are
// counted and shown in the JSON, so nothing is lost silently. All members are thread-safe: the
// exporter thread writes while HTTP handlers read; readers copy what they need under a short lock
// and render outside it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tachi_trace/ids.hpp"
#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

struct ViewerSettings {
  std::size_t max_traces = 1000;
  std::size_t max_spans_per_trace = 1000;
};

/// A span as the viewer keeps it: its data (with `scope` cleared) and the names that pointed
/// into the provider.
struct ViewerSpan {
  SpanData data;
  std::string scope_name;
  std::string service;
};

/// One line of the trace list.
struct TraceSummary {
  TraceId trace_id;
  /// The root span: one without a parent; else the earliest span whose parent is in another
  /// process; else (the root has not arrived, or was dropped) the earliest span.
  std::string root_name;
  SpanId root_span_id;
  bool root_missing = false;             // the third case
  std::string service;                   // the root span's service.name
  SystemTime start;                      // earliest span start
  std::chrono::nanoseconds duration{0};  // from the earliest start to the latest end
  std::size_t span_count = 0;
  std::size_t error_count = 0;    // spans with status Error
  std::size_t dropped_spans = 0;  // spans over max_spans_per_trace
};

struct ViewerStatistics {
  std::size_t traces = 0;
  std::size_t spans = 0;
  std::uint64_t evicted_traces = 0;
  std::uint64_t dropped_spans = 0;
};

class TraceViewerStore {
 public:
  static constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

  /// Settings of 0 are raised to 1: a store always keeps something.
  explicit TraceViewerStore(ViewerSettings settings = {});
  ~TraceViewerStore();
  TraceViewerStore(const TraceViewerStore&) = delete;
  TraceViewerStore& operator=(const TraceViewerStore&) = delete;

  /// Adds every span of `batch`; returns how many were dropped for the per-trace limit.
  std::size_t add(const ExportBatch& batch);
  /// Adds one span of a process whose service.name is `service`; false when it was dropped
  /// because its trace already holds `max_spans_per_trace` spans.
  bool add(const SpanData& span, std::string_view service);

  /// Up to `limit` traces, the most recently started first.
  std::vector<TraceSummary> summaries(std::size_t limit = no_limit) const;
  /// The trace's spans ordered by start time; nullopt when the store does not hold it.
  std::optional<std::vector<ViewerSpan>> trace(const TraceId& trace_id) const;
  ViewerStatistics statistics() const;
  const ViewerSettings& settings() const noexcept { return settings_; }
  void clear();

  /// {"traces":[summary...], "capacity", "evicted_traces", "dropped_spans"}; see the README.
  std::string list_json(std::size_t limit = no_limit) const;
  /// {"trace_id", "root_name", ..., "spans":[...]} with start offsets and durations in
  /// nanoseconds from the trace's start; nullopt when the store does not hold the trace.
  std::optional<std::string> trace_json(const TraceId& trace_id) const;

 private:
  struct StoredTrace;
  struct TraceIdHash {
    std::size_t operator()(const TraceId& trace_id) const noexcept;
  };
  using TraceList = std::list<StoredTrace>;

  StoredTrace& find_or_make(const TraceId& trace_id);
  /// The trace's summary and spans (ordered by start time), copied under the lock.
  std::optional<std::pair<TraceSummary, std::vector<ViewerSpan>>> copy_trace(
      const TraceId& trace_id) const;

  ViewerSettings settings_;
  mutable std::mutex mutex_;
  // Most recently updated first. Mutable: readers refresh a trace's cached root under the lock.
  mutable TraceList traces_;
  std::unordered_map<TraceId, TraceList::iterator, TraceIdHash> index_;
  std::size_t span_count_ = 0;
  std::uint64_t evicted_traces_ = 0;
  std::uint64_t dropped_spans_ = 0;
};

/// An exporter named "viewer" that adds every batch to `store`. Spans over the per-trace limit
/// are reported as rejected, so the pipeline counts them as dropped.
std::unique_ptr<SpanExporter> make_viewer_exporter(std::shared_ptr<TraceViewerStore> store);

}  // namespace tachi_trace
