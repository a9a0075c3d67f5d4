#include "tachi_trace/exporters/memory.hpp"

namespace tachi_trace {

std::vector<StoredSpan> InMemorySpanStore::spans() const {
  std::lock_guard guard(mutex_);
  std::vector<StoredSpan> copies(spans_.begin(), spans_.end());
  for (auto& copy : copies)
    copy.data.scope = &copy.scope;
  return copies;
}

std::size_t InMemorySpanStore::size() const {
  std::lock_guard guard(mutex_);
  return spans_.size();
}

void InMemorySpanStore::clear() {
  std::lock_guard guard(mutex_);
  spans_.clear();
}

bool InMemorySpanStore::wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return spans_.size() >= count; });
}

void InMemorySpanStore::add(const SpanData& span) {
  StoredSpan stored{span, span.scope ? *span.scope : InstrumentationScope{}};
  stored.data.scope = nullptr;  // pointed at our copy when read out
  {
    std::lock_guard guard(mutex_);
    if (spans_.size() >= capacity_ && !spans_.empty()) spans_.pop_front();
    spans_.push_back(std::move(stored));
  }
  changed_.notify_all();
}

namespace {

class InMemoryExporter final : public SpanExporter {
 public:
  explicit InMemoryExporter(std::shared_ptr<InMemorySpanStore> store) : store_(std::move(store)) {}

  std::string_view name() const noexcept override { return "memory"; }

  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    for (const SpanData* span : batch.spans)
      store_->add(*span);
    return ExportResult::success();
  }

 private:
  std::shared_ptr<InMemorySpanStore> store_;
};

}  // namespace

std::unique_ptr<SpanExporter> make_in_memory_exporter(std::shared_ptr<InMemorySpanStore> store) {
  return std::make_unique<InMemoryExporter>(std::move(store));
}

}  // namespace tachi_trace
