// A TracerProvider that exports into memory, for tests.
#pragma once

#include <memory>

#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace::testing {

struct MemoryProvider {
  explicit MemoryProvider(ProviderSettings settings = {});

  std::shared_ptr<InMemorySpanStore> store;
  TracerProvider provider;
  Tracer tracer;
};

}  // namespace tachi_trace::testing
