// Exporter benchmarks: the cost of encoding a batch in each wire format, and spans per second
// through the whole pipeline to an OTLP receiver on the loopback interface.
//
// encode_*: batches of 512 typical spans (8 attributes, 1 event); ns_per_op is per span.
// export_otlp_exporter_loopback: ready batches of those spans through the OTLP exporter to an
// in-process HTTP receiver on 127.0.0.1 (encoding, HTTP and the receiver; ns_per_op per span).
// export_otlp_loopback: one thread ends spans (3 attributes each, so that making them costs less
// than exporting them) as fast as it can; the pipeline exports them with default settings to an
// in-process HTTP receiver. ns_per_op is wall time per exported span (from the first span to the
// end of the final flush), dropped_share the share of spans dropped, produced_per_s the rate the
// producer reached. export_otlp_loopback_1m: the same with the producer paced at 1 M spans/s;
// export_otlp_loopback_1m_queue_8192 once more, with OTEL_BSP_MAX_QUEUE_SIZE 8192.
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "harness.hpp"
#include "tachi_trace/exporters/jaeger.hpp"
#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/exporters/otlp.hpp"
#include "tachi_trace/exporters/zipkin.hpp"
#include "tachi_trace/tracer.hpp"

namespace {

using namespace tachi_trace;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t batch_size = 512;

/// The attributes of a typical HTTP client span.
void annotate(const SpanRef& span, std::int64_t index) {
  span.set_attribute("http.request.method", "GET");
  span.set_attribute("url.full", "https://inventory.internal:8443/api/specs/1234?expand=parts");
  span.set_attribute("http.response.status_code", 200);
  span.set_attribute("server.address", "inventory.internal");
  span.set_attribute("server.port", 8443);
  span.set_attribute("network.protocol.version", "1.1");
  span.set_attribute("http.response.body.size", 4096 + index % 1024);
  span.set_attribute("retry.ratio", 0.25);
  span.add_event("response received", {{"bytes", 4096}, {"cache", "miss"}});
}

/// 512 ended spans, made by a real tracer and kept in memory.
struct TypicalBatch {
  TypicalBatch() {
    auto store = std::make_shared<InMemorySpanStore>();
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(make_in_memory_exporter(store));
    ProviderSettings settings;
    settings.resource = Resource(Attributes{{"service.name", "checkout"},
                                            {"service.version", "1.4.0"},
                                            {"telemetry.sdk.name", "tachi_trace"}});
    TracerProvider provider(settings, std::move(exporters));
    Tracer tracer = provider.tracer("shop.checkout", "1.4.0");
    auto parent = tracer.start_span("checkout", {.kind = SpanKind::server});
    for (std::size_t index = 0; index < batch_size; ++index) {
      auto span = tracer.start_span(
          "GET /api/specs/{id}", {.kind = SpanKind::client, .parent = Context().with_span(parent)});
      annotate(span, static_cast<std::int64_t>(index));
    }
    provider.force_flush();
    stored = store->spans();
    stored.resize(batch_size);
    resource = settings.resource;
    scope = stored.front().scope;
    for (auto& span : stored) {
      span.data.scope = &scope;  // one scope object, as a provider has
      spans.push_back(&span.data);
    }
  }

  std::vector<StoredSpan> stored;
  std::vector<const SpanData*> spans;
  InstrumentationScope scope;
  Resource resource;
};

void bench_encoder(const std::string& name, SpanEncoder& encoder, const TypicalBatch& batch) {
  std::string body;
  const double ns_per_batch = tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index) {
      encoder.encode(batch.resource, batch.spans, body);
      tachi_bench::keep(body.data());
    }
  });
  tachi_bench::report(name, ns_per_batch / batch_size,
                      {{"bytes_per_span", static_cast<double>(body.size()) / batch_size}});
}

/// A minimal OTLP/HTTP receiver: reads each request whole and answers 200 with an empty
/// ExportTraceServiceResponse.
class LoopbackReceiver {
 public:
  LoopbackReceiver() {
    acceptor_.open(net::ip::tcp::v4());
    acceptor_.bind(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    net::co_spawn(io_, accept(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LoopbackReceiver() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1/traces";
  }

 private:
  net::awaitable<void> accept() {
    while (true) {
      auto [error, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
      if (error) co_return;
      socket.set_option(net::ip::tcp::no_delay(true));
      net::co_spawn(io_, serve(beast::tcp_stream(std::move(socket))), net::detached);
    }
  }

  net::awaitable<void> serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    buffer.reserve(std::size_t{1} << 16);  // Beast reads at most what fits: without this, 512 B
    std::vector<char> scratch(std::size_t{1} << 16);
    http::response<http::empty_body> response{http::status::ok, 11};
    response.set(http::field::content_type, "application/x-protobuf");
    response.content_length(0);
    while (true) {
      if (!co_await read_request(stream, buffer, scratch)) co_return;
      auto [write_error, written] =
          co_await http::async_write(stream, response, net::as_tuple(net::use_awaitable));
      if (write_error) co_return;
    }
  }

  // Reads one request whole, passing its body through `scratch` (a collector would decode it;
  // keeping it would only measure this receiver's allocator).
  static net::awaitable<bool> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                           std::vector<char>& scratch) {
    http::request_parser<http::buffer_body> parser;
    parser.body_limit(std::size_t{64} << 20);
    auto [header_error, header_read] =
        co_await http::async_read_header(stream, buffer, parser, net::as_tuple(net::use_awaitable));
    if (header_error) co_return false;
    while (!parser.is_done()) {
      parser.get().body().data = scratch.data();
      parser.get().body().size = scratch.size();
      auto [error, read] =
          co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
      if (error && error != http::error::need_buffer) co_return false;
    }
    co_return true;
  }

  net::io_context io_{1};
  net::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

/// The export path alone: ready batches through the OTLP exporter (encoding, HTTP, the receiver),
/// without producing spans or the pipeline's threads.
void bench_exporter_alone(const std::string& url, const TypicalBatch& batch) {
  OtlpExporterSettings settings;
  settings.endpoint = url;
  auto exporter = std::move(*make_otlp_exporter(settings));
  std::uint64_t failures = 0;
  const double ns_per_batch = tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      failures += !exporter->export_spans(ExportBatch{batch.resource, batch.spans, deadline}).ok();
    }
  });
  tachi_bench::report("export_otlp_exporter_loopback", ns_per_batch / batch_size,
                      {{"failed_exports", static_cast<double>(failures)}});
}

struct LoopbackRun {
  double seconds = 0;
  std::uint64_t ended = 0;
  std::uint64_t exported = 0;
  std::uint64_t dropped = 0;
  std::uint64_t dropped_before_export = 0;  // of `dropped`: the producer's queue was full
};

/// Ends `spans` spans through a provider exporting to `url`, at most `rate` per second (0: as
/// fast as possible), then flushes. `batch`: the pipeline's settings (the defaults unless given).
LoopbackRun run_loopback(const std::string& url, std::uint64_t spans, double rate,
                         BatchSettings batch = {}) {
  OtlpExporterSettings settings;
  settings.endpoint = url;
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(std::move(*make_otlp_exporter(settings)));
  ProviderSettings provider_settings;
  provider_settings.batch = batch;
  TracerProvider provider(provider_settings, std::move(exporters));
  Tracer tracer = provider.tracer("bench", "1.0");

  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t index = 0; index < spans; ++index) {
    if (rate > 0 && index % 1024 == 0) {
      // Sleep, not spin, when ahead: on a small machine a spinning producer would take the CPU
      // the exporter needs.
      std::this_thread::sleep_until(started + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                                  static_cast<double>(index) * 1e9 / rate)));
    }
    auto span = tracer.start_span("GET /api/specs/{id}", {.kind = SpanKind::client});
    span.set_attribute("http.request.method", "GET");
    span.set_attribute("http.response.status_code", 200);
    span.set_attribute("server.address", "inventory.internal");
  }
  provider.force_flush(std::chrono::milliseconds(60000));
  LoopbackRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto counters = provider.counters();
  run.ended = counters.spans_ended;
  run.exported = counters.exporters.at(0).exported;
  run.dropped = counters.exporters.at(0).dropped;
  run.dropped_before_export = counters.spans_dropped_before_export;
  return run;
}

void report_loopback(const std::string& name, const LoopbackRun& run) {
  const double per_span = run.exported > 0 ? run.seconds * 1e9 / run.exported : 0;
  tachi_bench::report(
      name, per_span,
      {{"dropped_share", run.ended > 0 ? static_cast<double>(run.dropped) / run.ended : 0},
       {"dropped_in_producer_queue", static_cast<double>(run.dropped_before_export)},
       {"produced_per_s", run.ended / run.seconds}});
}

}  // namespace

TACHI_BENCHMARK("exporters") {
  const TypicalBatch batch;
  bench_encoder("encode_otlp_protobuf", *make_otlp_encoder(OtlpProtocol::http_protobuf), batch);
  bench_encoder("encode_otlp_json", *make_otlp_encoder(OtlpProtocol::http_json), batch);
  bench_encoder("encode_zipkin", *make_zipkin_encoder(), batch);
  bench_encoder("encode_jaeger", *make_jaeger_encoder(), batch);

  LoopbackReceiver receiver;
  bench_exporter_alone(receiver.url(), batch);
  run_loopback(receiver.url(), 200'000, 0);  // warm up: connection, allocator, caches
  report_loopback("export_otlp_loopback", run_loopback(receiver.url(), 2'000'000, 0));
  report_loopback("export_otlp_loopback_1m", run_loopback(receiver.url(), 2'000'000, 1e6));
  // Room for 8 ms at that rate: what a stall of the export side's processors (see
  // machine_processor_stalls) costs with the default queue of 2,048 spans.
  BatchSettings larger_queue;
  larger_queue.max_queue_size = 8192;
  report_loopback("export_otlp_loopback_1m_queue_8192",
                  run_loopback(receiver.url(), 2'000'000, 1e6, larger_queue));
}
