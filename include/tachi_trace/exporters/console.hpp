// The console exporter: one line per span on a stream (stdout by default), readable by people
// (`text`) or by programs (`json_lines`, one JSON object per line).
//
// text:  2026-11-22T10:15:02.123456Z trace=4bf9...4736 span=00f0...02b7 parent=-- "GET /api/specs"
//        server 1.284ms status=unset {http.request.method="GET", http.response.status_code=200}
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "tachi_trace/config.hpp"
#include "tachi_trace/pipeline.hpp"

namespace tachi_trace {

/// `out` must outlive the exporter; writes are serialised by the exporter.
std::unique_ptr<SpanExporter> make_console_exporter(ConsoleFormat format, std::ostream& out);
std::unique_ptr<SpanExporter> make_console_exporter(ConsoleFormat format = ConsoleFormat::text);

/// The line the console exporter writes for `span` (without the newline).
std::string format_span_text(const SpanData& span);
std::string format_span_json(const SpanData& span, const Resource& resource);

}  // namespace tachi_trace
