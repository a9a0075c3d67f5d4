// The sample server's own settings: the variables it reads besides the library's OTEL_* ones.
//
// They live here, not in the library's registry, because they configure the sample's HTTP
// routes, not tracing: the viewer store itself is a library exporter that any program can add,
// but serving it on /debug/traces is the sample's choice. The registry uses the library's
// `VariableSpec`, so `--help` can print both lists with `format_environment_help`, and problems
// are reported as the library reports them: a diagnostic naming the variable, the value received
// and the default used instead.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "tachi_trace/config.hpp"

namespace tachi_sample {

/// Every environment variable the sample reads itself.
std::span<const tachi_trace::VariableSpec> sample_environment_variables() noexcept;

struct ViewerConfig {
  bool enabled = true;            // TACHI_VIEWER
  std::size_t max_traces = 1000;  // TACHI_VIEWER_TRACES
};

inline constexpr std::size_t max_viewer_traces = 100000;

/// Reads TACHI_VIEWER and TACHI_VIEWER_TRACES; a value that cannot be used adds a diagnostic
/// to `diagnostics` and the default is used.
ViewerConfig read_viewer_config(const tachi_trace::Environment& environment,
                                std::vector<tachi_trace::ConfigDiagnostic>& diagnostics);

}  // namespace tachi_sample
