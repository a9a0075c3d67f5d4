// The smallest tachi_trace program: configuration from the environment, a few nested spans, and
// the console exporter printing them.
#include <cstdio>
#include <iostream>
#include <thread>

#include "tachi_trace/config.hpp"
#include "tachi_trace/exporters/console.hpp"
#include "tachi_trace/setup.hpp"
#include "tachi_trace/tracer.hpp"

namespace trace = tachi_trace;

int main() {
  trace::TracingConfig code;
  code.exporters = std::vector{trace::ExporterKind::console};
  code.service_name = std::string("tachi-sample-minimal");
  auto config = trace::finalize_config(code);
  if (!config) {
    std::cerr << "configuration error: " << config.error().message << "\n";
    return 1;
  }
  for (const auto& warning : config->diagnostics())
    std::cerr << "warning: " << warning.message << "\n";
  auto provider = trace::make_tracer_provider(*config);
  if (!provider) {
    std::cerr << "cannot start tracing: " << provider.error().message << "\n";
    return 1;
  }
  trace::Tracer tracer = provider->tracer("tachi-sample-minimal", "0.1.0");

  auto request = tracer.start_span("GET /api/specs/1", {.kind = trace::SpanKind::server});
  request.set_attribute("http.request.method", "GET").set_attribute("url.path", "/api/specs/1");
  {
    auto scope = request.activate();
    auto query = tracer.start_span("db.select", {.kind = trace::SpanKind::client});
    query.set_attribute("db.system.name", "sqlite").set_attribute("db.collection.name", "specs");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    query.end();
    trace::current_span().add_event("spec loaded", {{"spec.id", 1}});
  }
  request.set_attribute("http.response.status_code", 200);
  request.end();
  provider->shutdown();
  auto counters = provider->counters();
  std::printf("spans started=%llu exported=%llu dropped=%llu\n",
              static_cast<unsigned long long>(counters.spans_started),
              static_cast<unsigned long long>(counters.exporters.at(0).exported),
              static_cast<unsigned long long>(counters.exporters.at(0).dropped));
  return 0;
}
