// The Zipkin exporter: spans as Zipkin v2 JSON, POSTed to a Zipkin server (by default
// http://localhost:9411/api/v2/spans, OTEL_EXPORTER_ZIPKIN_ENDPOINT).
//
//   auto exporter = tachi_trace::make_zipkin_exporter(config->zipkin());
//
// The mapping is the OpenTelemetry specification's "OpenTelemetry to Zipkin Transformation":
// hex ids, parentId, kind (left out for INTERNAL spans), timestamp and duration in microseconds,
// localEndpoint.serviceName from the resource's service.name, a remoteEndpoint for CLIENT and
// PRODUCER spans from the attributes the specification ranks (peer.service, server.address, ...),
// attributes as string tags (arrays as JSON lists), the status as otel.status_code and error,
// the scope as otel.scope.name/version (and the otel.library.* aliases), dropped counts as
// otel.dropped_*_count, and events as annotations whose value is the event name followed by its
// attributes as a JSON object: "\"name\":{\"key\":\"value\"}". Zipkin has no links and no trace
// state; those are not sent.
#pragma once

#include <memory>

#include "tachi_trace/config.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace {

std::unique_ptr<SpanEncoder> make_zipkin_encoder();

/// Fails for an endpoint that is not an http(s) URL.
Expected<std::unique_ptr<SpanExporter>> make_zipkin_exporter(const ZipkinExporterSettings& settings,
                                                             HttpExporterOptions options = {});

}  // namespace tachi_trace
