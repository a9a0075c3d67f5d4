// Spans of a batch grouped by instrumentation scope, as OTLP sends them (one ScopeSpans per
// scope). Private.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tachi_trace/span.hpp"

namespace tachi_trace::detail {

class ScopeGroups {
 public:
  struct Group {
    const InstrumentationScope* scope;  // may be null: no scope known
    std::span<const SpanData* const> spans;
  };

  /// Groups `spans`: scopes in the order they first appear, spans in their order within each.
  /// Keeps its buffers between calls.
  const std::vector<Group>& group(std::span<const SpanData* const> spans);

 private:
  std::vector<Group> groups_;
  std::vector<const InstrumentationScope*> scopes_;
  std::vector<std::uint32_t> group_of_span_;
  std::vector<std::uint32_t> next_slot_;
  std::vector<const SpanData*> ordered_;
};

}  // namespace tachi_trace::detail
