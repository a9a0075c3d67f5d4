#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "tachi_trace/exporters/viewer.hpp"
#include "viewer_store.hpp"

namespace tachi_trace {

namespace {

struct SpanIdHash {
  std::size_t operator()(const SpanId& span_id) const noexcept {
    std::size_t hash = 0;
    std::memcpy(&hash, span_id.bytes().data(), std::min(sizeof hash, SpanId::byte_count));
    return hash;
  }
};

/// How good a root candidate a span is: lower is better.
int root_rank(const SpanData& span, const std::unordered_set<SpanId, SpanIdHash>& present) {
  if (!span.has_parent()) return 0;
  if (present.count(span.parent_span_id) != 0) return 3;  // not a root at all
  return span.parent_is_remote ? 1 : 2;
}

const ViewerSpan* choose_root(const std::vector<ViewerSpan>& spans) {
  std::unordered_set<SpanId, SpanIdHash> present;
  for (const auto& span : spans)
    present.insert(span.data.context.span_id);
  const ViewerSpan* best = nullptr;
  int best_rank = 4;
  for (const auto& span : spans) {
    const int rank = root_rank(span.data, present);
    if (rank < best_rank || (rank == best_rank && span.data.start_time < best->data.start_time)) {
      best = &span;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

bool detail::ViewerTrace::add(ViewerSpan span, std::size_t max_spans) {
  if (spans.size() >= max_spans) {
    ++summary.dropped_spans;
    return false;
  }
  const auto& data = span.data;
  if (spans.empty() || data.start_time < summary.start) summary.start = data.start_time;
  if (spans.empty() || data.end_time > latest_end) latest_end = data.end_time;
  summary.duration = latest_end - summary.start;
  if (data.status.code == StatusCode::error) ++summary.error_count;
  spans.push_back(std::move(span));
  summary.span_count = spans.size();
  root_stale = true;
  return true;
}

const TraceSummary& detail::ViewerTrace::current_summary() {
  if (!root_stale) return summary;
  root_stale = false;
  const ViewerSpan* root = choose_root(spans);
  if (root == nullptr) return summary;
  summary.root_name = root->data.name;
  summary.root_span_id = root->data.context.span_id;
  summary.root_missing = root->data.has_parent() && !root->data.parent_is_remote;
  summary.service = root->service;
  return summary;
}

// ---- the store
// ------------------------------------------------------------------------------------

struct TraceViewerStore::StoredTrace : detail::ViewerTrace {};

std::size_t TraceViewerStore::TraceIdHash::operator()(const TraceId& trace_id) const noexcept {
  // Trace ids are random: any eight of their bytes make a good hash.
  std::size_t hash = 0;
  std::memcpy(&hash, trace_id.bytes().data() + 8, sizeof hash);
  return hash;
}

TraceViewerStore::TraceViewerStore(ViewerSettings settings) : settings_(settings) {
  settings_.max_traces = std::max<std::size_t>(settings_.max_traces, 1);
  settings_.max_spans_per_trace = std::max<std::size_t>(settings_.max_spans_per_trace, 1);
}

TraceViewerStore::~TraceViewerStore() = default;

std::size_t TraceViewerStore::add(const ExportBatch& batch) {
  const std::string_view service = batch.resource.service_name();
  std::size_t dropped = 0;
  for (const SpanData* span : batch.spans)
    if (!add(*span, service)) ++dropped;
  return dropped;
}

bool TraceViewerStore::add(const SpanData& span, std::string_view service) {
  // Copy outside the lock: readers wait only for the insertion itself.
  ViewerSpan copy{span, span.scope != nullptr ? span.scope->name : std::string(),
                  std::string(service)};
  copy.data.scope = nullptr;
  std::lock_guard guard(mutex_);
  StoredTrace& stored = find_or_make(span.context.trace_id);
  if (!stored.add(std::move(copy), settings_.max_spans_per_trace)) {
    ++dropped_spans_;
    return false;
  }
  ++span_count_;
  return true;
}

TraceViewerStore::StoredTrace& TraceViewerStore::find_or_make(const TraceId& trace_id) {
  auto found = index_.find(trace_id);
  if (found != index_.end()) {
    traces_.splice(traces_.begin(), traces_, found->second);  // now the most recently updated
    return *found->second;
  }
  if (traces_.size() >= settings_.max_traces) {
    span_count_ -= traces_.back().spans.size();
    index_.erase(traces_.back().summary.trace_id);
    traces_.pop_back();
    ++evicted_traces_;
  }
  traces_.emplace_front();
  traces_.front().summary.trace_id = trace_id;
  index_.emplace(trace_id, traces_.begin());
  return traces_.front();
}

std::vector<TraceSummary> TraceViewerStore::summaries(std::size_t limit) const {
  std::vector<TraceSummary> result;
  {
    std::lock_guard guard(mutex_);
    result.reserve(traces_.size());
    for (auto& stored : traces_)
      result.push_back(stored.current_summary());
  }
  std::stable_sort(
      result.begin(), result.end(),
      [](const TraceSummary& left, const TraceSummary& right) { return left.start > right.start; });
  if (result.size() > limit) result.resize(limit);
  return result;
}

std::optional<std::vector<ViewerSpan>> TraceViewerStore::trace(const TraceId& trace_id) const {
  auto copied = copy_trace(trace_id);
  if (!copied) return std::nullopt;
  return std::move(copied->second);
}

std::optional<std::pair<TraceSummary, std::vector<ViewerSpan>>> TraceViewerStore::copy_trace(
    const TraceId& trace_id) const {
  std::pair<TraceSummary, std::vector<ViewerSpan>> copied;
  {
    std::lock_guard guard(mutex_);
    auto found = index_.find(trace_id);
    if (found == index_.end()) return std::nullopt;
    copied.first = found->second->current_summary();
    copied.second = found->second->spans;
  }
  std::stable_sort(copied.second.begin(), copied.second.end(),
                   [](const ViewerSpan& left, const ViewerSpan& right) {
                     return left.data.start_time < right.data.start_time;
                   });
  return copied;
}

ViewerStatistics TraceViewerStore::statistics() const {
  std::lock_guard guard(mutex_);
  return ViewerStatistics{traces_.size(), span_count_, evicted_traces_, dropped_spans_};
}

void TraceViewerStore::clear() {
  std::lock_guard guard(mutex_);
  index_.clear();
  traces_.clear();
  span_count_ = 0;
}

// ---- the exporter
// ---------------------------------------------------------------------------------

namespace {

class ViewerExporter final : public SpanExporter {
 public:
  explicit ViewerExporter(std::shared_ptr<TraceViewerStore> store) : store_(std::move(store)) {}

  std::string_view name() const noexcept override { return "viewer"; }

  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    try {
      ExportResult result;
      result.rejected_spans = store_->add(batch);
      if (result.rejected_spans > 0)
        result.message = std::to_string(result.rejected_spans) +
                         " spans over the viewer's limit of spans per trace";
      return result;
    } catch (const std::exception& error) {
      return ExportResult::failure(std::string("viewer store: ") + error.what());
    }
  }

 private:
  std::shared_ptr<TraceViewerStore> store_;
};

}  // namespace

std::unique_ptr<SpanExporter> make_viewer_exporter(std::shared_ptr<TraceViewerStore> store) {
  return std::make_unique<ViewerExporter>(std::move(store));
}

}  // namespace tachi_trace
