// HTTP benchmarks over loopback: the same HttpServer and HttpClient, one keep-alive connection,
// sequential requests. `http_request_untraced` serves a plain handler and calls without a tracer
// or propagation; `http_request_traced` wraps the handler in the middleware and records a CLIENT
// and a SERVER span per request; `http_request_unsampled` does the same with a sampler that keeps
// nothing, so only propagation and non-recording spans remain. `ratio_to_untraced` compares each
// with the untraced figure of the same run.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <thread>

#include "harness.hpp"
#include "tachi_trace/beast.hpp"

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace tachi_trace;

class CountingExporter final : public SpanExporter {
 public:
  std::string_view name() const noexcept override { return "counting"; }
  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    received_.fetch_add(batch.spans.size(), std::memory_order_relaxed);
    return ExportResult::success();
  }

 private:
  std::atomic<std::uint64_t> received_{0};
};

TracerProvider counting_provider(std::shared_ptr<const Sampler> sampler) {
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::make_unique<CountingExporter>());
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

/// A server on its own thread, serving `handler` until destroyed.
class BenchServer {
 public:
  template <typename Handler>
  explicit BenchServer(Handler handler)
      : work_(io_.get_executor()),
        server_(std::move(
            *HttpServer::listen(io_, {net::ip::make_address("127.0.0.1"), 0}, std::move(handler)))),
        thread_([this] { io_.run(); }) {}
  ~BenchServer() {
    server_.stop(std::chrono::milliseconds(0));
    work_.reset();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.local_endpoint().port()) + "/api/specs/7";
  }

 private:
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  HttpServer server_;
  std::thread thread_;
};

net::awaitable<void> call_many(HttpClient& client, std::string url, std::uint64_t count) {
  for (std::uint64_t index = 0; index < count; ++index) {
    auto call = client.get(url);
    auto response = co_await std::move(call);
    if (!response || response->result() != http::status::ok) std::abort();
  }
}

/// Nanoseconds per request from a client keeping one connection to `server`.
double measure_requests(const BenchServer& server, HttpClientOptions options) {
  net::io_context io;
  HttpClient client(io.get_executor(), std::move(options));
  return tachi_bench::measure([&](std::uint64_t count) {
    io.restart();
    tachi_trace::co_spawn(io, Context(), call_many(client, server.url(), count), net::detached);
    io.run();
  });
}

double untraced() {
  BenchServer server(answer);
  HttpClientOptions options;
  options.tracer = Tracer();  // a tracer of no provider: nothing recorded
  options.propagator = make_propagator(std::span<const PropagatorKind>());  // nothing sent
  return measure_requests(server, options);
}

double traced(std::shared_ptr<const Sampler> sampler) {
  TracerProvider provider = counting_provider(std::move(sampler));
  HttpServerTracingOptions tracing;
  tracing.tracer = provider.tracer("bench.server");
  BenchServer server(traced_http_handler(answer, tracing));
  HttpClientOptions options;
  options.tracer = provider.tracer("bench.client");
  return measure_requests(server, options);
}

}  // namespace

TACHI_BENCHMARK("beast") {
  const double plain = untraced();
  tachi_bench::report("http_request_untraced", plain);
  const double recorded = traced(make_parent_based_sampler(make_always_on_sampler()));
  tachi_bench::report("http_request_traced", recorded,
                      {{"ratio_to_untraced", recorded / plain}, {"overhead_ns", recorded - plain}});
  const double unsampled = traced(make_always_off_sampler());
  tachi_bench::report(
      "http_request_unsampled", unsampled,
      {{"ratio_to_untraced", unsampled / plain}, {"overhead_ns", unsampled - plain}});
}
