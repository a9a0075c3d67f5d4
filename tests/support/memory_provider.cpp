#include "support/memory_provider.hpp"

namespace tachi_trace::testing {

namespace {
std::vector<std::unique_ptr<SpanExporter>> exporters_into(
    std::shared_ptr<InMemorySpanStore> store) {
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(std::move(store)));
  return exporters;
}
}  // namespace

MemoryProvider::MemoryProvider(ProviderSettings settings)
    : store(std::make_shared<InMemorySpanStore>()),
      provider(std::move(settings), exporters_into(store)),
      tracer(provider.tracer("test")) {}

}  // namespace tachi_trace::testing
