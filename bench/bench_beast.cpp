// HTTP benchmarks over loopback: the same HttpServer and HttpClient on one thread, one keep-alive
// connection, sequential requests. `http_request_untraced` serves a plain handler and calls without
// a tracer or propagation; `http_request_traced` wraps the handler in the middleware and records a
// CLIENT and a SERVER span per request; `http_request_unsampled` does the same with a sampler that
// keeps nothing, so only propagation and non-recording spans remain. `ratio_to_untraced` compares
// each with the untraced figure of the same run.
#include <algorithm>
#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "counting_exporter.hpp"
#include "harness.hpp"
#include "tachi_trace/beast.hpp"

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace tachi_trace;

TracerProvider counting_provider(std::shared_ptr<const Sampler> sampler) {
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<tachi_bench::CountingExporter>());
  ProviderSettings settings;
  settings.sampler = std::move(sampler);
  return TracerProvider(std::move(settings), std::move(exporters));
}

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

net::awaitable<Response> answer(Request request) {
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, "text/plain");
  response.body() = "spec 7";
  co_return response;
}

/// A server and a client keeping one connection to it, on one io_context run by the measuring
/// thread: what is measured is the work of both ends, not the scheduler's wake-up latency.
class Loopback {
 public:
  template <typename Handler>
  Loopback(Handler handler, HttpClientOptions options)
      : server_(std::move(
            *HttpServer::listen(io_, {net::ip::make_address("127.0.0.1"), 0}, std::move(handler)))),
        client_(io_.get_executor(), std::move(options)),
        url_("http://127.0.0.1:" + std::to_string(server_.local_endpoint().port()) +
             "/api/specs/7") {}
  ~Loopback() {
    server_.stop(std::chrono::milliseconds(0));
    client_.close();
    io_.restart();
    io_.run();
  }

  /// Nanoseconds per request, sequential requests on the kept-alive connection.
  double measure() {
    return tachi_bench::measure([this](std::uint64_t count) {
      io_.restart();
      tachi_trace::co_spawn(io_, Context(), call_many(count), net::detached);
      io_.run();  // until call_many stops it: the server keeps waiting for the next request
    });
  }

 private:
  net::awaitable<void> call_many(std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index) {
      auto call = client_.get(url_);
      auto response = co_await std::move(call);
      if (!response || response->result() != http::status::ok) std::abort();
    }
    io_.stop();
  }

  net::io_context io_;
  HttpServer server_;
  HttpClient client_;
  std::string url_;
};

HttpClientOptions untraced_client() {
  HttpClientOptions options;
  options.tracer = Tracer();  // a tracer of no provider: nothing recorded
  options.propagator = make_propagator(std::span<const PropagatorKind>());  // nothing sent
  return options;
}

HttpServerTracingOptions server_tracing(const TracerProvider& provider) {
  HttpServerTracingOptions tracing;
  tracing.tracer = provider.tracer("bench.server");
  return tracing;
}

HttpClientOptions traced_client(const TracerProvider& provider) {
  HttpClientOptions options;
  options.tracer = provider.tracer("bench.client");
  return options;
}

}  // namespace

TACHI_BENCHMARK("beast") {
  TracerProvider recording = counting_provider(make_parent_based_sampler(make_always_on_sampler()));
  TracerProvider sampling_nothing = counting_provider(make_always_off_sampler());
  Loopback plain(answer, untraced_client());
  Loopback traced(traced_http_handler(answer, server_tracing(recording)), traced_client(recording));
  Loopback unsampled(traced_http_handler(answer, server_tracing(sampling_nothing)),
                     traced_client(sampling_nothing));
  // Rounds taken in turn, best of each: a shared machine's drift hits all three alike.
  double best_plain = 1e300, best_traced = 1e300, best_unsampled = 1e300;
  for (int round = 0; round < 3; ++round) {
    best_plain = std::min(best_plain, plain.measure());
    best_traced = std::min(best_traced, traced.measure());
    best_unsampled = std::min(best_unsampled, unsampled.measure());
  }
  tachi_bench::report("http_request_untraced", best_plain);
  tachi_bench::report(
      "http_request_traced", best_traced,
      {{"ratio_to_untraced", best_traced / best_plain}, {"overhead_ns", best_traced - best_plain}});
  tachi_bench::report("http_request_unsampled", best_unsampled,
                      {{"ratio_to_untraced", best_unsampled / best_plain},
                       {"overhead_ns", best_unsampled - best_plain}});
}
