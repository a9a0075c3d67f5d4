// Coroutine benchmarks: what a traced awaitable adds around an awaitable that completes at once,
// measured inside one task on an io_context. `overhead_ns` is the traced figure minus bare_ready.
#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "counting_exporter.hpp"
#include "harness.hpp"
#include "tachi_trace/task.hpp"
#include "tachi_trace/traced.hpp"

namespace {

namespace net = boost::asio;
using namespace tachi_trace;

/// Installs a global provider with `sampler` for one benchmark, and removes it afterwards.
struct GlobalSetup {
  explicit GlobalSetup(std::shared_ptr<const Sampler> sampler) {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(std::make_unique<tachi_bench::CountingExporter>());
    ProviderSettings settings;
    settings.sampler = std::move(sampler);
    provider.emplace(settings, std::move(exporters));
    set_global_tracer_provider(*provider);
  }
  ~GlobalSetup() {
    provider.reset();
    reset_global_tracer_provider();
  }

  double dropped_share() {
    provider->force_flush();
    auto counters = provider->counters();
    if (counters.spans_ended == 0) return 0.0;
    return static_cast<double>(counters.exporters.at(0).dropped) /
           static_cast<double>(counters.spans_ended);
  }

  std::optional<TracerProvider> provider;
};

net::awaitable<int> ready_value() {
  co_return 1;
}

/// One task awaiting `make()` `count` times, under a request span as real handlers are.
template <typename MakeAwaitable>
net::awaitable<void> await_many(std::uint64_t count, MakeAwaitable make) {
  auto request = global_tracer().start_span("request");
  auto scope = request.activate();
  for (std::uint64_t index = 0; index < count; ++index)
    tachi_bench::keep(co_await make());
}

template <typename MakeAwaitable>
double measure_in_task(MakeAwaitable make) {
  net::io_context io;
  return tachi_bench::measure([&](std::uint64_t count) {
    io.restart();
    tachi_trace::co_spawn(io, await_many(count, make), net::detached);
    io.run();
  });
}

double bare_ready() {
  return measure_in_task([] { return ready_value(); });
}

double traced_ready() {
  return measure_in_task([] { return traced("ready", SpanKind::internal, ready_value()); });
}

double traced_query_ready() {
  return measure_in_task([] { return traced_query("select", "specs", ready_value()); });
}

}  // namespace

TACHI_BENCHMARK("asio") {
  double bare = bare_ready();
  tachi_bench::report("bare_ready", bare);
  {
    GlobalSetup setup(make_parent_based_sampler(make_always_on_sampler()));
    double traced = traced_ready();
    tachi_bench::report("traced_ready_sampled", traced,
                        {{"overhead_ns", traced - bare}, {"dropped_share", setup.dropped_share()}});
    double query = traced_query_ready();
    tachi_bench::report("traced_query_ready_sampled", query,
                        {{"overhead_ns", query - bare}, {"dropped_share", setup.dropped_share()}});
  }
  {
    GlobalSetup setup(make_always_off_sampler());
    double traced = traced_ready();
    tachi_bench::report("traced_ready_unsampled", traced, {{"overhead_ns", traced - bare}});
    double query = traced_query_ready();
    tachi_bench::report("traced_query_ready_unsampled", query, {{"overhead_ns", query - bare}});
  }
}
