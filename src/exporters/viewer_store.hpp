// Private parts of the trace viewer store, shared by the store and its JSON rendering.
#pragma once

#include <string>
#include <vector>

#include "tachi_trace/exporters/viewer.hpp"

namespace tachi_trace::detail {

/// One trace as the store holds it. The summary is kept up to date as spans arrive, except the
/// root, which may change with every span (a parent arriving after its children) and is chosen
/// again only when read.
struct ViewerTrace {
  std::vector<ViewerSpan> spans;  // in arrival order
  TraceSummary summary;
  SystemTime latest_end;
  bool root_stale = false;

  /// False when the trace is full and the span was dropped (and counted in the summary).
  bool add(ViewerSpan span, std::size_t max_spans);
  const TraceSummary& current_summary();
};

}  // namespace tachi_trace::detail
