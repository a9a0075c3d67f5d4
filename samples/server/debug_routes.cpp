// The operational routes: /metrics and the built-in trace viewer.
#include "sample_app.hpp"
#include "viewer_routes.hpp"

namespace tachi_sample {

Response metrics_page(const SampleServices& services, const Request& request) {
  const auto accept = request[http::field::accept];
  auto answer = services.metrics.exposition(std::string_view(accept.data(), accept.size()),
                                            services.provider.counters());
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, answer.content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(answer.body);
  return response;
}

Response viewer_page(const SampleServices& services, const Request& request) {
  auto answer = answer_viewer_request(*services.viewer, request.method_string(), request.target());
  if (!answer)  // match_route only sends viewer paths here
    return error_response(request, http::status::not_found, "no such viewer page");
  Response response(static_cast<http::status>(answer->status), request.version());
  for (const auto& [name, value] : answer->headers)
    response.set(name, value);
  response.body() = std::move(answer->body);
  return response;
}

}  // namespace tachi_sample
