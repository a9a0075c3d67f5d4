// The OTLP/HTTP exporter: spans to an OpenTelemetry Collector, Grafana Tempo, Jaeger (which takes
// OTLP on port 4318), or any other OTLP receiver.
//
//   auto exporter = tachi_trace::make_otlp_exporter(config->otlp());   // from OTEL_EXPORTER_OTLP_*
//
// Each batch becomes one POST of an ExportTraceServiceRequest to the endpoint (by default
// http://localhost:4318/v1/traces), as binary protobuf (application/x-protobuf, the default) or
// OTLP JSON (application/json): the resource once, the spans grouped by instrumentation scope.
// Bodies over 64 MiB are split into several requests. Headers from OTEL_EXPORTER_OTLP_HEADERS
// are sent with every request and never logged. A partial-success answer counts its rejected
// spans as dropped and reports the server's message. Retries, timeouts, TLS and gzip are the
// transport's (transport.hpp).
#pragma once

#include <memory>

#include "tachi_trace/config.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace {

/// The encoder the exporter uses: ExportTraceServiceRequest as protobuf or OTLP JSON.
std::unique_ptr<SpanEncoder> make_otlp_encoder(OtlpProtocol protocol = OtlpProtocol::http_protobuf);

/// Fails for an endpoint that is not an http(s) URL, invalid headers, or TLS files that cannot
/// be read.
Expected<std::unique_ptr<SpanExporter>> make_otlp_exporter(const OtlpExporterSettings& settings,
                                                           HttpExporterOptions options = {});

}  // namespace tachi_trace
