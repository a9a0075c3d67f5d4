// Core span benchmarks: the cost of starting, annotating and ending spans.
#include <atomic>
#include <ctime>
#include <thread>

#include "counting_exporter.hpp"
#include "harness.hpp"
#include "tachi_trace/exporters/otlp.hpp"
#include "tachi_trace/semantic_conventions.hpp"
#include "tachi_trace/tracer.hpp"

namespace {

using namespace tachi_trace;

struct Setup {
  explicit Setup(std::shared_ptr<const Sampler> sampler)
      : Setup(std::move(sampler), std::make_unique<tachi_bench::CountingExporter>()) {}
  Setup(std::shared_ptr<const Sampler> sampler, std::unique_ptr<SpanExporter> exporter) {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(std::move(exporter));
    ProviderSettings settings;
    settings.sampler = std::move(sampler);
    provider.emplace(settings, std::move(exporters));
    tracer = provider->tracer("bench");
  }

  /// The share of sampled spans that did not reach the exporter (queue full).
  double dropped_share() {
    provider->force_flush();
    auto counters = provider->counters();
    if (counters.spans_ended == 0) return 0.0;
    return static_cast<double>(counters.exporters.at(0).dropped) /
           static_cast<double>(counters.spans_ended);
  }

  std::optional<TracerProvider> provider;
  Tracer tracer;
};

void annotated_span(const Tracer& tracer) {
  auto span = tracer.start_span("GET /api/specs");
  span.set_attribute("http.method", "GET");
  span.set_attribute("http.status", 200);
  span.set_attribute("duration.ms", 1.25);
}

/// Processor time an exporter spent and the spans it was given, readable after it is gone.
struct ExportTally {
  std::atomic<std::uint64_t> cpu_ns{0};
  std::atomic<std::uint64_t> spans{0};
};

/// Encodes every batch as OTLP protobuf and discards it: an exporter that reads each span it is
/// given, on its own thread, as real ones do (the counting exporter reads none).
class EncodingExporter final : public SpanExporter {
 public:
  explicit EncodingExporter(std::shared_ptr<ExportTally> tally) : tally_(std::move(tally)) {}
  std::string_view name() const noexcept override { return "encoding"; }
  ExportResult export_spans(const ExportBatch& batch) noexcept override {
    const std::uint64_t started = thread_cpu_ns();
    encoder_->encode(batch.resource, batch.spans, body_);
    tachi_bench::keep(body_.data());
    tally_->cpu_ns.fetch_add(thread_cpu_ns() - started, std::memory_order_relaxed);
    tally_->spans.fetch_add(batch.spans.size(), std::memory_order_relaxed);
    return ExportResult::success();
  }

 private:
  static std::uint64_t thread_cpu_ns() noexcept {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
           static_cast<std::uint64_t>(now.tv_nsec);
  }

  std::shared_ptr<ExportTally> tally_;
  std::unique_ptr<SpanEncoder> encoder_ = make_otlp_encoder(OtlpProtocol::http_protobuf);
  std::string body_;
};

/// The SERVER span of an HTTP request as the Beast middleware and the sample server make it.
void server_span(const Tracer& tracer, std::int64_t index) {
  auto span = tracer.start_span("GET", {.kind = SpanKind::server});
  span.set_attribute(semconv::http_request_method, "GET");
  span.set_attribute(semconv::url_path, "/api/specs/1");
  span.set_attribute(semconv::url_scheme, "http");
  span.set_attribute(semconv::server_address, "127.0.0.1");
  span.set_attribute(semconv::server_port, std::int64_t{8080});
  span.set_attribute(semconv::client_address, "127.0.0.1");
  span.set_attribute(semconv::network_peer_address, "127.0.0.1");
  span.set_attribute(semconv::network_peer_port, 40000 + index % 1024);
  span.set_attribute(semconv::network_protocol_version, "1.1");
  span.set_attribute(semconv::http_route, "/api/specs/{id}");
  span.update_name("GET /api/specs/{id}");
  span.set_attribute(semconv::http_response_status_code, std::int64_t{200});
  span.set_attribute(semconv::http_response_body_size, std::int64_t{230});
}

void run_spans(const Tracer& tracer, std::uint64_t count) {
  for (std::uint64_t index = 0; index < count; ++index)
    annotated_span(tracer);
}

}  // namespace

TACHI_BENCHMARK("core") {
  {
    Setup setup(make_parent_based_sampler(make_always_on_sampler()));
    double ns = tachi_bench::measure([&](std::uint64_t count) { run_spans(setup.tracer, count); });
    tachi_bench::report("span_sampled", ns, {{"dropped_share", setup.dropped_share()}});
  }
  {
    // The records come back from an exporter that read them on another processor: what a
    // traced server pays per span, where span_sampled's exporter reads nothing.
    auto tally = std::make_shared<ExportTally>();
    Setup setup(make_parent_based_sampler(make_always_on_sampler()),
                std::make_unique<EncodingExporter>(tally));
    double ns = tachi_bench::measure([&](std::uint64_t count) {
      for (std::uint64_t index = 0; index < count; ++index)
        server_span(setup.tracer, static_cast<std::int64_t>(index));
    });
    const double dropped = setup.dropped_share();  // flushes: every span is encoded by then
    tachi_bench::report(
        "span_server_12_attributes_encoded", ns,
        {{"dropped_share", dropped},
         {"exporter_cpu_ns_per_span",
          static_cast<double>(tally->cpu_ns.load()) / static_cast<double>(tally->spans.load())}});
  }
  {
    Setup setup(make_always_off_sampler());
    double ns = tachi_bench::measure([&](std::uint64_t count) { run_spans(setup.tracer, count); });
    tachi_bench::report("span_unsampled", ns);
  }
  {
    Setup setup(*make_trace_id_ratio_sampler(0.01));
    double ns = tachi_bench::measure([&](std::uint64_t count) { run_spans(setup.tracer, count); });
    tachi_bench::report("span_ratio_1pct", ns, {{"dropped_share", setup.dropped_share()}});
  }
  {
    Setup setup(make_parent_based_sampler(make_always_on_sampler()));
    double ns = tachi_bench::measure([&](std::uint64_t count) {
      for (std::uint64_t index = 0; index < count; ++index) {
        auto parent = setup.tracer.start_span("parent");
        auto parent_scope = parent.activate();
        auto child = setup.tracer.start_span("child");
        auto child_scope = child.activate();
      }
    });
    tachi_bench::report("span_nested", ns, {{"dropped_share", setup.dropped_share()}});
  }
  {
    Setup setup(make_parent_based_sampler(make_always_on_sampler()));
    double one_thread =
        tachi_bench::measure([&](std::uint64_t count) { run_spans(setup.tracer, count); });
    double two_threads = tachi_bench::measure([&](std::uint64_t count) {
      // `count` spans in total, half on each thread; ns_per_op is wall time per span.
      std::thread other([&] { run_spans(setup.tracer, count / 2); });
      run_spans(setup.tracer, count - count / 2);
      other.join();
    });
    tachi_bench::report("span_sampled_2threads", two_threads,
                        {{"speedup_vs_1_thread", one_thread / two_threads},
                         {"dropped_share", setup.dropped_share()}});
  }
}
