// tachi-sample-server: a traced HTTP service showing the whole library at work (see the README's
// "The sample server" section and sample_app.hpp for its routes).
//
// Start-up: read the sample's variables and the OTEL_* ones, print every problem as a warning,
// build the tracer provider (the in-process viewer, plus the exporters OTEL_TRACES_EXPORTER
// names when it is set), open the SQLite database, listen, and print "listening on URL".
// Shutdown on SIGINT or SIGTERM: stop accepting, let requests in flight finish (at most
// TACHI_SHUTDOWN_GRACE), then stop the mock backend, then flush every exporter (at most
// OTEL_BSP_EXPORT_TIMEOUT) and exit 0. A second signal exits at once with status 1.
#include <unistd.h>

#include <pthread.h>
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sample_app.hpp"
#include "sample_config.hpp"
#include "tachi_trace/exporters/viewer.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/setup.hpp"
#include "tachi_trace/version.hpp"

#include "../../sanitizers/asio_executor_suppression.hpp"  // defines the ThreadSanitizer hook

namespace {

namespace net = boost::asio;
namespace trace = tachi_trace;
using namespace tachi_sample;
using namespace std::chrono_literals;

constexpr std::string_view service_name = "tachi-sample-server";

void print_help() {
  std::cout << "Usage: tachi-sample-server [--help]\n\n"
               "A traced HTTP service: SQLite specs, LLM executions through a backend, metrics\n"
               "with exemplars and a built-in trace viewer. Everything is configured through\n"
               "environment variables; invalid values are reported as warnings and the default\n"
               "is used.\n\n"
               "The sample's variables:\n"
            << trace::format_environment_help(sample_environment_variables())
            << "\nTracing (the OpenTelemetry variables the library reads). Two defaults differ in\n"
               "this sample: with OTEL_TRACES_EXPORTER unset, spans go to the built-in viewer\n"
               "only; OTEL_BSP_SCHEDULE_DELAY defaults to 1000 so the viewer shows traces soon.\n"
            << trace::format_environment_help(trace::environment_variables());
}

/// Whether the environment names the service (OTEL_SERVICE_NAME, or service.name in
/// OTEL_RESOURCE_ATTRIBUTES): then the sample's own name must not replace it.
bool names_service(const trace::Environment& environment) {
  if (environment.get("OTEL_SERVICE_NAME")) return true;
  const std::string attributes = environment.get("OTEL_RESOURCE_ATTRIBUTES").value_or("");
  for (std::size_t start = 0; start < attributes.size();) {
    const auto end = std::min(attributes.find(',', start), attributes.size());
    std::string_view key(attributes.data() + start, end - start);
    key = key.substr(0, key.find('='));
    while (key.starts_with(' '))
      key.remove_prefix(1);
    while (key.ends_with(' '))
      key.remove_suffix(1);
    if (key == "service.name") return true;
    start = end + 1;
  }
  return false;
}

/// The tracing configuration: the environment's, except that with OTEL_TRACES_EXPORTER unset
/// the sample exports to its own viewer only (no OTLP connection to a backend that is not there).
trace::Expected<trace::FinalizedTracingConfig> tracing_config(
    const trace::Environment& environment) {
  trace::TracingConfig code;
  if (!names_service(environment)) code.service_name = std::string(service_name);
  // Spans reach the viewer within a second (OTEL_BSP_SCHEDULE_DELAY still decides when set).
  code.batch_schedule_delay = std::chrono::milliseconds(1000);
  if (!environment.get("OTEL_TRACES_EXPORTER"))
    code.exporters = std::vector{trace::ExporterKind::none};
  return trace::finalize_config(code, environment);
}

void print_warnings(const std::vector<trace::ConfigDiagnostic>& diagnostics) {
  for (const auto& diagnostic : diagnostics)
    std::cerr << "warning: " << diagnostic.message << "\n";
}

/// Everything that lives for the whole run, in the order it must be torn down (reversed).
struct Runtime {
  Runtime(trace::TracerProvider started, trace::ExemplarFilter exemplar_filter)
      : provider(std::move(started)), metrics(exemplar_filter) {}

  trace::TracerProvider provider;
  std::shared_ptr<trace::TraceViewerStore> viewer;
  std::unique_ptr<SpecStore> store;
  net::thread_pool database_pool{2};
  RequestMetrics metrics;
};

std::shared_ptr<trace::TraceViewerStore> make_viewer(const ServerConfig& config) {
  if (!config.viewer.enabled) return nullptr;
  if (!config.serves_viewer()) {
    std::cerr << "note: the trace viewer is off: TACHI_LISTEN is not a loopback address (set "
                 "TACHI_VIEWER_REMOTE=on to serve it anyway)\n";
    return nullptr;
  }
  return std::make_shared<trace::TraceViewerStore>(
      trace::ViewerSettings{.max_traces = config.viewer.max_traces});
}

/// The provider: the exporters of the configuration, plus the viewer's when it is served.
std::optional<trace::TracerProvider> start_tracing(
    const trace::FinalizedTracingConfig& tracing,
    const std::shared_ptr<trace::TraceViewerStore>& viewer) {
  std::vector<std::unique_ptr<trace::SpanExporter>> extra;
  if (viewer && !tracing.provider().disabled) extra.push_back(trace::make_viewer_exporter(viewer));
  auto provider = trace::make_tracer_provider(tracing, std::move(extra));
  if (!provider) {
    std::cerr << "error: cannot start tracing: " << provider.error().message << "\n";
    return std::nullopt;
  }
  trace::set_global_tracer_provider(*provider);
  trace::set_global_propagator(trace::make_propagator(tracing));
  return std::move(*provider);
}

std::shared_ptr<SampleServices> make_services(Runtime& runtime, net::io_context& io,
                                              const ServerConfig& config,
                                              const trace::FinalizedTracingConfig& tracing) {
  auto client_options = trace::http_client_options(tracing);
  client_options.timeout = config.backend_timeout;
  client_options.tls.ca_file = config.backend_ca_file;
  // The mock backend is this process, on loopback: a proxy of HTTP_PROXY could not reach it.
  if (config.backend_url.empty()) client_options.proxies = {};
  return std::make_shared<SampleServices>(SampleServices{
      .store = *runtime.store,
      .database_pool = runtime.database_pool,
      .metrics = runtime.metrics,
      .provider = runtime.provider,
      .viewer = runtime.viewer,
      .client_options = client_options,
      .backend_clients = std::make_shared<BackendClients>(io.get_executor(), client_options),
      .backend_url = config.backend_url,
      .mock_latency = config.mock_latency,
      .serves_test_route = config.serves_test_route(),
      .access_log = config.access_log,
  });
}

/// The two listeners: the service, and the mock backend on a loopback port of its own (so an
/// execution's call to it crosses a real socket and still works while the service drains).
struct Listeners {
  trace::HttpServer service;
  std::optional<trace::HttpServer> mock_backend;
};

trace::HttpServerTracingOptions server_tracing_options(
    const trace::FinalizedTracingConfig& tracing) {
  auto options = trace::http_server_tracing_options(tracing);
  // Clients reach the sample directly: what they write in Forwarded headers is not evidence.
  options.use_forwarded_headers = false;
  return options;
}

net::ip::tcp::endpoint mock_endpoint(const ServerConfig& config) {
  const bool version_6 = config.listen.address().is_v6();
  return {version_6 ? net::ip::address(net::ip::address_v6::loopback())
                    : net::ip::address(net::ip::address_v4::loopback()),
          0};
}

std::optional<Listeners> open_listeners(net::io_context& io, const ServerConfig& config,
                                        std::shared_ptr<SampleServices> services,
                                        const trace::FinalizedTracingConfig& tracing) {
  const auto options = server_tracing_options(tracing);
  std::optional<trace::HttpServer> mock;
  if (services->backend_url.empty()) {
    auto opened = trace::HttpServer::listen(
        io, mock_endpoint(config),
        trace::traced_http_handler(SampleHandler(services, true), options));
    if (!opened) {
      std::cerr << "error: cannot start the mock backend: " << opened.error().message << "\n";
      return std::nullopt;
    }
    services->backend_url = http_origin(opened->local_endpoint()) + "/mock/llm/generate";
    mock.emplace(std::move(*opened));
  }
  auto service = trace::HttpServer::listen(
      io, config.listen, trace::traced_http_handler(SampleHandler(services), options));
  if (!service) {
    std::cerr << "error: cannot listen on " << http_origin(config.listen).substr(7) << ": "
              << service.error().message << "\n";
    return std::nullopt;
  }
  return Listeners{std::move(*service), std::move(mock)};
}

/// Waits until the service has no connection left, or `bound` passed.
net::awaitable<void> wait_drained(const trace::HttpServer& service,
                                  std::chrono::milliseconds bound) {
  net::steady_timer timer(co_await net::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (service.active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(10ms);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

/// On the first SIGINT or SIGTERM: drain the service, then stop the mock backend. A second
/// signal ends the process at once.
net::awaitable<void> stop_on_signal(net::signal_set& signals, Listeners& listeners,
                                    std::chrono::milliseconds grace) {
  auto [error, number] = co_await signals.async_wait(net::as_tuple(net::use_awaitable));
  if (error) co_return;
  std::cerr << "received " << (number == SIGINT ? "SIGINT" : "SIGTERM")
            << ": stopping (requests in flight have " << grace.count() << " ms to finish)"
            << std::endl;
  signals.async_wait([](const boost::system::error_code& again, int) {
    if (again) return;
    std::cerr << "second signal: exiting now" << std::endl;
    std::_Exit(1);
  });
  listeners.service.stop(grace);
  co_await wait_drained(listeners.service, grace + 1s);
  if (listeners.mock_backend) listeners.mock_backend->stop(1s);
  signals.cancel();
}

void print_addresses(const Listeners& listeners, const SampleServices& services) {
  const std::string origin = http_origin(listeners.service.local_endpoint());
  std::cout << "listening on " << origin << std::endl;
  if (services.viewer) std::cout << "trace viewer: " << origin << "/debug/traces" << std::endl;
  std::cout << "backend: " << services.backend_url << std::endl;
}

/// SIGINT and SIGTERM go to the io threads only: the threads started before them (exporters,
/// the database pool) block both, so a signal never waits on a thread that is not watching for
/// it (ThreadSanitizer, for one, delays a handler until its thread leaves a blocking call).
void set_stop_signals_blocked(bool blocked) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &stop_signals, nullptr);
}

void run_io(net::io_context& io, unsigned threads) {
  set_stop_signals_blocked(false);  // the workers below inherit this thread's mask
  std::vector<std::thread> workers;
  for (unsigned index = 1; index < threads; ++index)
    workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& worker : workers)
    worker.join();
}

/// Flushes and stops every exporter, bounded by the export timeout (or 30 s when it has none).
void stop_tracing(Runtime& runtime, const trace::FinalizedTracingConfig& tracing) {
  auto bound = tracing.provider().batch.export_timeout;
  if (bound.count() == 0) bound = 30s;
  if (!runtime.provider.shutdown(bound))
    std::cerr << "warning: not every span could be exported before the deadline\n";
  trace::reset_global_tracer_provider();
}

int serve(const ServerConfig& config, const trace::FinalizedTracingConfig& tracing) {
  set_stop_signals_blocked(true);  // until run_io: threads started meanwhile inherit the block
  auto viewer = make_viewer(config);

  auto provider = start_tracing(tracing, viewer);
  if (!provider) return 1;
  Runtime runtime(std::move(*provider), tracing.exemplar_filter());
  runtime.viewer = std::move(viewer);
  auto store = SpecStore::open(config.database);
  if (!store) {
    std::cerr << "error: " << store.error().message << "\n";
    return 1;
  }
  runtime.store = std::move(*store);
  // Before the services: their kept-alive backend clients must go before the io_context does.
  net::io_context io(static_cast<int>(config.io_threads));
  auto services = make_services(runtime, io, config, tracing);
  auto listeners = open_listeners(io, config, services, tracing);
  if (!listeners) return 1;
  net::signal_set signals(io, SIGINT, SIGTERM);
  net::co_spawn(io, stop_on_signal(signals, *listeners, config.shutdown_grace), net::detached);
  print_addresses(*listeners, *services);
  run_io(io, config.io_threads);
  runtime.database_pool.join();
  stop_tracing(runtime, tracing);
  std::cerr << "stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    if (argument == "--help" || argument == "-h") {
      print_help();
      return 0;
    }
    std::cerr << "error: unknown argument \"" << argument
              << "\"; the server is configured through environment variables (see --help)\n";
    return 2;
  }
  const auto environment = trace::Environment::process();
  std::vector<trace::ConfigDiagnostic> diagnostics;
  const ServerConfig config = read_server_config(environment, diagnostics);
  auto tracing = tracing_config(environment);
  if (!tracing) {
    std::cerr << "error: " << tracing.error().message << "\n";
    return 1;
  }
  // OTEL_LOG_LEVEL=error (or none) keeps the library's warnings quiet; the sample's own stay.
  if (tracing->log_level() <= trace::LogLevel::warn) print_warnings(tracing->diagnostics());
  print_warnings(diagnostics);
  return serve(config, *tracing);
}
