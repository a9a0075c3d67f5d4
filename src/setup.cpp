#include "tachi_trace/setup.hpp"

#include "tachi_trace/exporters/console.hpp"
#include "tachi_trace/exporters/jaeger.hpp"
#include "tachi_trace/exporters/otlp.hpp"
#include "tachi_trace/exporters/zipkin.hpp"

namespace tachi_trace {

Expected<std::unique_ptr<SpanExporter>> make_exporter(ExporterKind kind,
                                                      const FinalizedTracingConfig& config) {
  HttpExporterOptions options;
  options.diagnostics_level = config.log_level();
  switch (kind) {
    case ExporterKind::console:
      return make_console_exporter(config.console().format);
    case ExporterKind::none:
      return std::unique_ptr<SpanExporter>();
    case ExporterKind::otlp:
      return make_otlp_exporter(config.otlp(), std::move(options));
    case ExporterKind::zipkin:
      return make_zipkin_exporter(config.zipkin(), std::move(options));
    case ExporterKind::jaeger:
      return make_jaeger_exporter(config.jaeger(), std::move(options));
  }
  return Error{Error::Code::invalid_argument,
               "unknown exporter kind " + std::to_string(static_cast<int>(kind))};
}

Expected<TracerProvider> make_tracer_provider(const FinalizedTracingConfig& config,
                                              std::vector<std::unique_ptr<SpanExporter>> extra) {
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  if (!config.provider().disabled) {
    for (ExporterKind kind : config.exporters()) {
      auto exporter = make_exporter(kind, config);
      if (!exporter) return exporter.error();
      if (*exporter) exporters.push_back(std::move(*exporter));
    }
  }
  for (auto& exporter : extra)
    exporters.push_back(std::move(exporter));
  return TracerProvider(config.provider(), std::move(exporters));
}

}  // namespace tachi_trace
