#include "sample_app.hpp"

#include <cstdio>
#include <exception>

#include "tachi_trace/log.hpp"

namespace tachi_sample {

namespace {

namespace net = boost::asio;
namespace trace = tachi_trace;

constexpr std::string_view specs_prefix = "/api/specs/";
constexpr std::string_view execute_suffix = "/execute";
constexpr std::string_view viewer_prefix = "/debug/traces/";

/// The methods a route answers; empty when the route checks them itself (or there is no route).
std::string_view allowed_methods(RouteId id) noexcept {
  switch (id) {
    case RouteId::spec_execute:
    case RouteId::mock_generate:
    case RouteId::trace_context_test:
      return "POST";
    case RouteId::viewer:
    case RouteId::unmatched:
      return {};
    default:
      return "GET, HEAD";
  }
}

bool method_allowed(const Request& request, std::string_view allowed) noexcept {
  if (allowed == "POST") return request.method() == http::verb::post;
  return request.method() == http::verb::get || request.method() == http::verb::head;
}

Response health_page(const Request& request) {
  const nlohmann::json body = {{"status", "ok"}};
  return json_response(request, http::status::ok, body);
}

Response not_found(const Request& request) {
  return error_response(request, http::status::not_found,
                        "no route for " + std::string(request.method_string()) + " " +
                            std::string(target_path(request.target())));
}

/// The spec routes: /api/specs/{id} and /api/specs/{id}/execute.
RouteMatch match_spec_route(std::string_view rest) {
  if (rest.ends_with(execute_suffix)) {
    rest.remove_suffix(execute_suffix.size());
    if (rest.find('/') == std::string_view::npos)
      return {RouteId::spec_execute, "/api/specs/{id}/execute", rest};
  } else if (rest.find('/') == std::string_view::npos) {
    return {RouteId::spec, "/api/specs/{id}", rest};
  }
  return {};
}

/// The viewer's route templates (viewer_routes.hpp answers them).
RouteMatch match_viewer_route(std::string_view path) {
  if (path == "/debug/traces" || path == viewer_prefix)
    return {RouteId::viewer, "/debug/traces", {}};
  if (path == "/debug/traces.json") return {RouteId::viewer, "/debug/traces.json", {}};
  if (!path.starts_with(viewer_prefix)) return {};
  const std::string_view rest = path.substr(viewer_prefix.size());
  if (rest.starts_with("assets/")) return {RouteId::viewer, "/debug/traces/assets/{file}", {}};
  if (rest.ends_with(".json")) return {RouteId::viewer, "/debug/traces/{trace_id}.json", {}};
  return {RouteId::viewer, "/debug/traces/{trace_id}", {}};
}

/// Milliseconds with three decimals, for the log line.
std::string format_milliseconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds * 1000.0);
  return text;
}

void log_request(std::string_view method, std::string_view target, unsigned status,
                 double seconds) {
  TACHI_TRACE_LOG(info, "request method=", quoted_for_log(method, 32),
                  " target=", quoted_for_log(target), " status=", status,
                  " duration_ms=", format_milliseconds(seconds));
}

}  // namespace

RouteMatch match_route(std::string_view path, const SampleServices& services) {
  if (path == "/healthz") return {RouteId::health, "/healthz", {}};
  if (path == "/api/specs") return {RouteId::spec_list, "/api/specs", {}};
  if (path.starts_with(specs_prefix)) return match_spec_route(path.substr(specs_prefix.size()));
  if (path == "/mock/llm/generate") return {RouteId::mock_generate, "/mock/llm/generate", {}};
  if (path == "/metrics") return {RouteId::metrics, "/metrics", {}};
  if (path == "/test" && services.serves_test_route)
    return {RouteId::trace_context_test, "/test", {}};
  if (services.viewer && path.starts_with("/debug/traces")) return match_viewer_route(path);
  return {};
}

net::awaitable<Response> SampleHandler::operator()(Request request,
                                                   trace::HttpServerSpan& span) const {
  const auto started = std::chrono::steady_clock::now();
  RouteMatch match = match_route(target_path(request.target()), *services_);
  if (backend_only_ && match.id != RouteId::mock_generate) match = RouteMatch();
  if (match.id != RouteId::unmatched) span.set_route(match.route);
  Response response = co_await respond(request, match, span);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // Still inside the SERVER span: it becomes the bucket's exemplar and the log line's ids.
  services_->metrics.observe(request.method_string(), match.route, response.result_int(), seconds);
  if (services_->access_log)
    log_request(request.method_string(), request.target(), response.result_int(), seconds);
  co_return response;
}

net::awaitable<Response> SampleHandler::respond(const Request& request, const RouteMatch& match,
                                                trace::HttpServerSpan& span) const {
  std::exception_ptr failure;
  try {
    // Built in a statement of its own: GCC 12 mishandles by-value temporaries in a co_await.
    auto answer = dispatch(request, match, span.span_context());
    co_return co_await std::move(answer);
  } catch (...) {
    failure = std::current_exception();
  }
  span.record_exception(failure);
  co_return error_response(request, http::status::internal_server_error,
                           "internal error; the trace of this request has the details");
}

net::awaitable<Response> SampleHandler::dispatch(const Request& request, const RouteMatch& match,
                                                 trace::SpanContext server_span) const {
  const SampleServices& services = *services_;
  const std::string_view allowed = allowed_methods(match.id);
  if (!allowed.empty() && !method_allowed(request, allowed))
    co_return method_not_allowed(request, allowed);
  switch (match.id) {
    case RouteId::health:
      co_return health_page(request);
    case RouteId::spec_list:
      co_return co_await list_specs(services, request);
    case RouteId::spec:
    case RouteId::spec_execute: {
      auto answer = dispatch_spec(request, match, std::move(server_span));
      co_return co_await std::move(answer);
    }
    case RouteId::mock_generate:
      co_return co_await mock_generate(services, request);
    case RouteId::trace_context_test:
      co_return co_await run_trace_context_test(services, request);
    case RouteId::metrics:
      co_return metrics_page(services, request);
    case RouteId::viewer:
      co_return viewer_page(services, request);
    case RouteId::unmatched:
      break;
  }
  co_return not_found(request);
}

net::awaitable<Response> SampleHandler::dispatch_spec(const Request& request,
                                                      const RouteMatch& match,
                                                      trace::SpanContext server_span) const {
  const auto id = parse_id(match.id_text);
  if (!id)
    co_return error_response(
        request, http::status::bad_request,
        '"' + std::string(match.id_text) + "\" is not a spec id: ids are positive integers");
  if (match.id == RouteId::spec) co_return co_await show_spec(*services_, request, *id);
  auto execution = execute_spec(*services_, request, *id, std::move(server_span));
  co_return co_await std::move(execution);
}

}  // namespace tachi_sample
