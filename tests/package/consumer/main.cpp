// A user's program built against the installed package.
#include <cstdio>
#include <tachi_trace/exporters/memory.hpp>
#include <tachi_trace/tracer.hpp>

int main() {
  auto store = std::make_shared<tachi_trace::InMemorySpanStore>();
  std::vector<std::unique_ptr<tachi_trace::SpanExporter>> exporters;
  exporters.push_back(tachi_trace::make_in_memory_exporter(store));
  tachi_trace::ProviderSettings settings;
  settings.resource = settings.resource.merged_with({{"service.name", "package-consumer"}});
  tachi_trace::TracerProvider provider(settings, std::move(exporters));
  provider.tracer("consumer").start_span("hello").end();
  provider.shutdown();
  std::printf("consumer: %zu span exported with service.name=%s\n", store->size(),
              std::string(provider.resource().service_name()).c_str());
  return store->size() == 1 ? 0 : 1;
}
