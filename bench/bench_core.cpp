// Core span benchmarks: the cost of starting, annotating and ending spans.
#include <atomic>
#include <thread>

#include "counting_exporter.hpp"
#include "harness.hpp"
#include "tachi_trace/tracer.hpp"

namespace {

using namespace tachi_trace;

struct Setup {
  explicit Setup(std::shared_ptr<const Sampler> sampler) {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(std::make_unique<tachi_bench::CountingExporter>(received));
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

  std::shared_ptr<std::atomic<std::uint64_t>> received =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::optional<TracerProvider> provider;
  Tracer tracer;
};

void annotated_span(const Tracer& tracer) {
  auto span = tracer.start_span("GET /api/specs");
  span.set_attribute("http.method", "GET");
  span.set_attribute("http.status", 200);
  span.set_attribute("duration.ms", 1.25);
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
