// The trace viewer's HTTP routes, independent of the server that carries them: given a method and
// a request target, the answer to send. The sample server hands every /debug/traces request to
// `answer_viewer_request` and writes the result with Beast; tests do the same.
//
//   GET /debug/traces                   the trace list page (index.html)
//   GET /debug/traces.json[?limit=N]    the list as JSON, most recently started first
//   GET /debug/traces/{trace_id}        the waterfall page of one trace (trace.html)
//   GET /debug/traces/{trace_id}.json   that trace as JSON (404 JSON when not held)
//   GET /debug/traces/assets/{file}     the pages' stylesheet and script
//
// Pages are served with a Content-Security-Policy that allows only the server's own scripts,
// styles and requests: span names and attributes come from outside, and the pages only ever
// insert them as text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tachi_trace/exporters/viewer.hpp"

namespace tachi_sample {

struct HttpAnswer {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type first
  std::string body;

  std::string_view header(std::string_view name) const noexcept;
};

inline constexpr std::string_view viewer_path = "/debug/traces";

/// The answer to a request for `target` (path and query), or nullopt when the target is not a
/// viewer route. Methods other than GET and HEAD get 405; for HEAD the caller sends no body.
std::optional<HttpAnswer> answer_viewer_request(const tachi_trace::TraceViewerStore& store,
                                                std::string_view method, std::string_view target);

}  // namespace tachi_sample
