// Propagation benchmarks: reading a caller's context from, and writing ours into, Beast header
// containers such as a server sees and a client sends.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include "harness.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/propagation_beast.hpp"

namespace {

using namespace tachi_trace;
namespace http = boost::beast::http;

constexpr std::string_view traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

/// The headers of an ordinary incoming API request, with the trace headers among them.
http::request<http::empty_body> incoming_request(bool with_tracestate, bool with_baggage) {
  http::request<http::empty_body> request{http::verb::get, "/api/specs/42", 11};
  request.set(http::field::host, "shop.example:8080");
  request.set(http::field::user_agent, "curl/7.88.1");
  request.set(http::field::accept, "application/json");
  request.set(http::field::accept_encoding, "gzip, deflate");
  request.set("traceparent", std::string(traceparent));
  if (with_tracestate) request.set("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  if (with_baggage) request.set("baggage", "userId=alice,serverNode=DF%2028,isProduction=false");
  return request;
}

double measure_extract(const TextMapPropagator& propagator,
                       const http::request<http::empty_body>& request) {
  return tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index) {
      Context context = propagator.extract(BeastHeaderReader(request));
      tachi_bench::keep(context.span_context().span_id);
    }
  });
}

/// Injects into the same outgoing request again and again, as a client reusing its request
/// object does: every inject replaces the fields the previous one wrote.
double measure_inject(const TextMapPropagator& propagator, const Context& context) {
  http::request<http::empty_body> outgoing{http::verb::get, "/backend", 11};
  outgoing.set(http::field::host, "backend:9000");
  BeastHeaderCarrier carrier(outgoing);
  return tachi_bench::measure([&](std::uint64_t count) {
    for (std::uint64_t index = 0; index < count; ++index)
      propagator.inject(context, carrier);
    tachi_bench::keep(outgoing);
  });
}

Context remote_context(bool with_tracestate, bool with_baggage) {
  return make_propagator(std::vector{PropagatorKind::tracecontext, PropagatorKind::baggage})
      ->extract(BeastHeaderReader(incoming_request(with_tracestate, with_baggage)));
}

}  // namespace

TACHI_BENCHMARK("propagation") {
  const auto trace_context = make_trace_context_propagator();
  const auto default_composite =
      make_propagator(std::vector{PropagatorKind::tracecontext, PropagatorKind::baggage});
  const auto request = incoming_request(false, false);
  const double extract = measure_extract(*trace_context, request);
  tachi_bench::report("extract_traceparent", extract);
  const double extract_state = measure_extract(*trace_context, incoming_request(true, false));
  tachi_bench::report("extract_traceparent_tracestate", extract_state,
                      {{"vs_extract_traceparent", extract_state / extract}});
  const double extract_default = measure_extract(*default_composite, incoming_request(true, true));
  tachi_bench::report("extract_default_propagators", extract_default,
                      {{"vs_extract_traceparent", extract_default / extract}});

  const double inject = measure_inject(*trace_context, remote_context(false, false));
  tachi_bench::report("inject_traceparent", inject, {{"vs_extract_traceparent", inject / extract}});
  const double inject_default = measure_inject(*default_composite, remote_context(true, true));
  tachi_bench::report("inject_default_propagators", inject_default,
                      {{"vs_inject_traceparent", inject_default / inject}});
}
