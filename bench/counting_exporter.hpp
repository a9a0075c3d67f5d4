// The benchmarks' exporter: counts what it receives and discards it, so a benchmark measures the
// library, not a backend.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tachi_trace/pipeline.hpp"

namespace tachi_bench {

class CountingExporter final : public tachi_trace::SpanExporter {
 public:
  using Counter = std::atomic<std::uint64_t>;
  /// `received` (optional) lets the benchmark read the count after the provider is gone.
  explicit CountingExporter(std::shared_ptr<Counter> received = std::make_shared<Counter>(0))
      : received_(std::move(received)) {}
  std::string_view name() const noexcept override { return "counting"; }
  tachi_trace::ExportResult export_spans(const tachi_trace::ExportBatch& batch) noexcept override {
    received_->fetch_add(batch.spans.size(), std::memory_order_relaxed);
    return tachi_trace::ExportResult::success();
  }

 private:
  std::shared_ptr<Counter> received_;
};

}  // namespace tachi_bench
