// The Jaeger exporter, for Jaeger collectors that do not take OTLP: a jaeger.thrift `Batch` in
// the Thrift binary protocol, POSTed as application/x-thrift to the collector's HTTP endpoint (by
// default http://localhost:14268/api/traces, OTEL_EXPORTER_JAEGER_ENDPOINT).
//
// Current Jaeger releases accept OTLP on port 4318: prefer the OTLP exporter pointed at Jaeger.
//
// The mapping is the OpenTelemetry specification's "OpenTelemetry to Jaeger Transformation": the
// Process carries service.name and the other resource attributes as tags; trace ids are split
// into traceIdHigh/traceIdLow (big-endian, read as signed 64-bit), the parent is both parentSpanId
// and a first CHILD_OF reference, links are FOLLOWS_FROM references, times are microseconds,
// attributes are typed tags (arrays as JSON-list strings), the kind is the span.kind tag (none for
// INTERNAL), the status is otel.status_code / otel.status_description plus error=true for ERROR,
// the scope is otel.scope.name/version (and the otel.library.* aliases), and events are logs
// with their name as the `event` field. Only the sampled bit of the trace flags is sent (Jaeger
// reads bit 2 as "debug").
#pragma once

#include <memory>

#include "tachi_trace/config.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace {

std::unique_ptr<SpanEncoder> make_jaeger_encoder();

/// Fails for an endpoint that is not an http(s) URL.
Expected<std::unique_ptr<SpanExporter>> make_jaeger_exporter(const JaegerExporterSettings& settings,
                                                             HttpExporterOptions options = {});

}  // namespace tachi_trace
