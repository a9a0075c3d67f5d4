// Which measurements may become a histogram bucket's exemplar: OTEL_METRICS_EXEMPLAR_FILTER, as
// the OpenTelemetry metrics SDK specification defines it.
#pragma once

#include <cstdint>

namespace tachi_trace {

enum class ExemplarFilter : std::uint8_t {
  /// Measurements made inside a sampled span, whose trace the exemplar then points at (default).
  trace_based,
  /// Every measurement. Inside a span (sampled or not) the exemplar names it; outside any span
  /// it carries no ids.
  always_on,
  /// None: buckets keep no exemplars.
  always_off,
};

}  // namespace tachi_trace
