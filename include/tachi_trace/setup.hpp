// One call from configuration to a running provider.
//
//   auto config = tachi_trace::finalize_config();          // reads OTEL_* once
//   for (auto& warning : config->diagnostics()) log(warning.message);
//   auto provider = tachi_trace::make_tracer_provider(*config);
//   tachi_trace::set_global_tracer_provider(*provider);
//
// The exporters named by OTEL_TRACES_EXPORTER are built from the finalized settings; `extra`
// exporters (an in-memory one in tests, the sample's viewer) are added to them.
#pragma once

#include <memory>
#include <vector>

#include "tachi_trace/config.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace {

/// Builds the exporter for one kind; nullptr for ExporterKind::none.
Expected<std::unique_ptr<SpanExporter>> make_exporter(ExporterKind kind,
                                                      const FinalizedTracingConfig& config);

Expected<TracerProvider> make_tracer_provider(
    const FinalizedTracingConfig& config, std::vector<std::unique_ptr<SpanExporter>> extra = {});

}  // namespace tachi_trace
