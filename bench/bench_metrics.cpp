// Metrics and viewer benchmarks: the cost of an observation (with and without an exemplar, alone
// and with another thread observing the same histogram), of a labelled lookup, of a scrape, and of
// the viewer store's insertion and list rendering.
#include <atomic>
#include <thread>

#include "harness.hpp"
#include "tachi_trace/exporters/viewer.hpp"
#include "tachi_trace/metrics.hpp"
#include "tachi_trace/tracer.hpp"

namespace {

using namespace tachi_trace;

std::shared_ptr<HistogramFamily> make_durations(MetricRegistry& registry) {
  return *registry.histogram({.name = "request_duration_seconds", .label_names = {"route"}});
}

void observe_many(Histogram& histogram, std::uint64_t count) {
  for (std::uint64_t index = 0; index < count; ++index)
    histogram.observe(static_cast<double>(index % 1000) * 0.0001);
}

/// Nanoseconds per observation while a second thread observes the same histogram.
double contended_observe_ns(Histogram& histogram) {
  std::atomic<bool> stop{false};
  std::thread other([&] {
    while (!stop.load(std::memory_order_relaxed))
      observe_many(histogram, 1000);
  });
  double ns = tachi_bench::measure([&](std::uint64_t count) { observe_many(histogram, count); });
  stop = true;
  other.join();
  return ns;
}

void metrics_benchmarks() {
  MetricRegistry registry;
  auto durations = make_durations(registry);
  Histogram& histogram = durations->with_labels({"/api/specs/{id}"});
  const double plain =
      tachi_bench::measure([&](std::uint64_t count) { observe_many(histogram, count); });
  tachi_bench::report("histogram_observe", plain);

  TracerProvider provider(ProviderSettings{}, {});
  auto span = provider.tracer("bench").start_span("request");
  auto scope = span.activate();
  const double with_exemplar =
      tachi_bench::measure([&](std::uint64_t count) { observe_many(histogram, count); });
  tachi_bench::report("histogram_observe_in_sampled_span", with_exemplar,
                      {{"ratio_to_plain", with_exemplar / plain}});

  const double contended = contended_observe_ns(histogram);
  tachi_bench::report("histogram_observe_two_threads", contended,
                      {{"ratio_to_plain", contended / plain}});

  const double lookup = tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index)
      tachi_bench::keep(&durations->with_labels({"/api/specs/{id}"}));
  });
  tachi_bench::report("family_with_labels_lookup", lookup);

  auto counter = *registry.counter({.name = "requests"});
  Counter& requests = counter->unlabelled();
  tachi_bench::report("counter_add", tachi_bench::measure([&](std::uint64_t count) {
                        for (std::uint64_t index = 0; index < count; ++index)
                          requests.add();
                      }));

  for (int route = 0; route < 20; ++route)
    durations->with_labels({"/route/" + std::to_string(route)}).observe(0.01);
  const double scrape = tachi_bench::measure(
      [&](std::uint64_t count) {
        for (std::uint64_t index = 0; index < count; ++index)
          tachi_bench::keep(format_openmetrics_text(registry.collect()).size());
      },
      std::chrono::milliseconds(200), 3);
  tachi_bench::report("openmetrics_scrape_21_histogram_series", scrape);
}

SpanData sample_span(std::uint64_t index) {
  SpanData span;
  span.context.trace_id = generate_trace_id();
  span.context.span_id = generate_span_id();
  span.name = "GET /api/specs/" + std::to_string(index % 10);
  span.start_time = SystemTime(std::chrono::milliseconds(index));
  span.end_time = span.start_time + std::chrono::milliseconds(3);
  span.attributes = {{"http.request.method", "GET"}, {"http.response.status_code", 200}};
  return span;
}

void viewer_benchmarks() {
  TraceViewerStore store;
  std::uint64_t next = 0;
  const double add = tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index)
      store.add(sample_span(next++), "bench");
  });
  tachi_bench::report("viewer_store_add_span_full_ring", add);
  const double list = tachi_bench::measure(
      [&](std::uint64_t count) {
        for (std::uint64_t index = 0; index < count; ++index)
          tachi_bench::keep(store.list_json().size());
      },
      std::chrono::milliseconds(200), 3);
  tachi_bench::report("viewer_list_json_1000_traces", list);
}

}  // namespace

TACHI_BENCHMARK("metrics") {
  metrics_benchmarks();
  viewer_benchmarks();
}
