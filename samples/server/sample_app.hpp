// The sample server's application: what its routes use, the route table, and the handler the
// tracing middleware wraps.
//
//   auto services = std::make_shared<SampleServices>(...);
//   auto handler = tachi_trace::traced_http_handler(SampleHandler(services), tracing_options);
//   auto server = tachi_trace::HttpServer::listen(io, endpoint, handler);
//
// Routes (see the README for the JSON they answer):
//   GET  /healthz                   liveness
//   GET  /api/specs                 every spec                        (db.select)
//   GET  /api/specs/{id}            one spec; 404 unknown, 400 malformed id
//   POST /api/specs/{id}/execute    db.select, llm.execution > backend.<name>.generate > HTTP POST
//                                   to the backend, db.insert; answers with the run, trace and span
//   POST /mock/llm/generate         the built-in mock LLM backend
//   POST /test                      the W3C Trace Context test-suite protocol (when enabled)
//   GET  /metrics                   Prometheus or OpenMetrics text with exemplars
//   GET  /debug/traces...           the built-in trace viewer (when enabled)
//
// The handler runs inside the request's SERVER span (the middleware made it current): it names the
// span after the matched route, records the request in the duration histogram (so the span is
// the bucket's exemplar) and writes the access-log line, whose trace_id and span_id are the
// span's. A route that throws answers a JSON 500 and the exception is recorded on the span.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "backend_clients.hpp"
#include "http_support.hpp"
#include "request_metrics.hpp"
#include "spec_store.hpp"
#include "tachi_trace/beast.hpp"
#include "tachi_trace/exporters/viewer.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_sample {

/// Everything the routes use. Built before the listeners start and never changed afterwards, so
/// every io thread may read it.
struct SampleServices {
  SpecStore& store;
  boost::asio::thread_pool& database_pool;  // SQLite calls run here, off the io threads
  RequestMetrics& metrics;
  tachi_trace::TracerProvider provider;                   // its counters go to /metrics
  std::shared_ptr<tachi_trace::TraceViewerStore> viewer;  // null: the viewer is not served
  tachi_trace::HttpClientOptions client_options;          // backend calls and POST /test
  std::shared_ptr<BackendClients> backend_clients;        // kept-alive, for the backend calls
  std::string backend_url;                                // where POST .../execute goes
  std::chrono::milliseconds mock_latency{25};
  bool serves_test_route = false;
  bool access_log = true;
};

enum class RouteId {
  health,
  spec_list,
  spec,
  spec_execute,
  mock_generate,
  trace_context_test,
  metrics,
  viewer,
  unmatched,
};

struct RouteMatch {
  RouteId id = RouteId::unmatched;
  std::string_view route = "unmatched";  // the template: http.route and the metrics label
  std::string_view id_text;              // the {id} of the spec routes, as sent
};

/// The route of `path`, whatever the method. Disabled routes (viewer, /test) are unmatched.
RouteMatch match_route(std::string_view path, const SampleServices& services);

/// The sample's request handler (copied for each connection; copies share the services).
class SampleHandler {
 public:
  /// `backend_only`: serve nothing but the mock backend (its own loopback listener).
  explicit SampleHandler(std::shared_ptr<const SampleServices> services, bool backend_only = false)
      : services_(std::move(services)), backend_only_(backend_only) {}

  boost::asio::awaitable<Response> operator()(Request request,
                                              tachi_trace::HttpServerSpan& span) const;

 private:
  boost::asio::awaitable<Response> respond(const Request& request, const RouteMatch& match,
                                           tachi_trace::HttpServerSpan& span) const;
  boost::asio::awaitable<Response> dispatch(const Request& request, const RouteMatch& match,
                                            tachi_trace::SpanContext server_span) const;
  boost::asio::awaitable<Response> dispatch_spec(const Request& request, const RouteMatch& match,
                                                 tachi_trace::SpanContext server_span) const;

  std::shared_ptr<const SampleServices> services_;
  bool backend_only_;
};

// ---- the routes (api_routes.cpp, mock_backend.cpp, trace_context_test.cpp, debug_routes.cpp) --

boost::asio::awaitable<Response> list_specs(const SampleServices& services, const Request& request);
boost::asio::awaitable<Response> show_spec(const SampleServices& services, const Request& request,
                                           std::int64_t id);
/// `server_span`: the request's SERVER span, whose ids the answer quotes.
boost::asio::awaitable<Response> execute_spec(const SampleServices& services,
                                              const Request& request, std::int64_t id,
                                              tachi_trace::SpanContext server_span);
boost::asio::awaitable<Response> mock_generate(const SampleServices& services,
                                               const Request& request);
boost::asio::awaitable<Response> run_trace_context_test(const SampleServices& services,
                                                        const Request& request);
Response metrics_page(const SampleServices& services, const Request& request);
Response viewer_page(const SampleServices& services, const Request& request);

}  // namespace tachi_sample
