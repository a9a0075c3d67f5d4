// Carriers (generic containers and Beast header containers) and the composite propagator chosen
// by OTEL_PROPAGATORS.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <thread>
#include <unordered_map>

#include "support/memory_provider.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/propagation_beast.hpp"

using namespace tachi_trace;
namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

PropagatorPointer from_environment(std::string propagators) {
  auto config =
      finalize_config({}, Environment::from_pairs({{"OTEL_PROPAGATORS", std::move(propagators)}}));
  REQUIRE(config);
  return make_propagator(*config);
}

std::vector<std::string_view> fields_of(const TextMapPropagator& propagator) {
  auto fields = propagator.fields();
  return {fields.begin(), fields.end()};
}

Context sampled_remote_with_baggage() {
  auto parent = parse_traceparent(traceparent);
  REQUIRE(parent);
  return Context(Span::non_recording(*parent), Baggage().with("tenant", "acme"));
}

}  // namespace

TEST_CASE("key/value carriers: lookups ignore case and keep the order of repeated keys") {
  Headers headers = {{"TraceState", "a=1"}, {"other", "x"}, {"tracestate", "b=2"}};
  KeyValueReader reader(headers);
  CHECK(reader.get("TRACESTATE") == "a=1");
  CHECK(reader.get_all("tracestate") == std::vector<std::string_view>{"a=1", "b=2"});
  CHECK(reader.get_all("missing").empty());
  CHECK_FALSE(reader.get("missing"));
  CHECK(reader.keys() == std::vector<std::string_view>{"TraceState", "other", "tracestate"});
}

TEST_CASE("key/value carriers: set replaces every field of the name, in any container") {
  Headers vector = {{"Baggage", "old"}, {"keep", "1"}, {"baggage", "older"}};
  KeyValueCarrier(vector).set("baggage", "new");
  CHECK(vector == Headers{{"keep", "1"}, {"baggage", "new"}});

  std::map<std::string, std::string> map = {{"BAGGAGE", "old"}, {"keep", "1"}};
  KeyValueCarrier(map).set("baggage", "new");
  CHECK(map == std::map<std::string, std::string>{{"baggage", "new"}, {"keep", "1"}});

  std::unordered_map<std::string, std::string> unordered = {{"Baggage", "old"}};
  KeyValueCarrier carrier(unordered);
  carrier.set("baggage", "new");
  CHECK(unordered.size() == 1);
  CHECK(carrier.get("BAGGAGE") == "new");
}

TEST_CASE("beast carriers: lookups ignore case, repeated fields stay separate, set replaces") {
  http::request<http::empty_body> request{http::verb::get, "/", 11};
  request.insert("TraceState", "a=1");
  request.insert("Host", "example");
  request.insert("tracestate", "b=2");
  BeastHeaderReader reader(request);
  CHECK(reader.get("tracestate") == "a=1");
  CHECK(reader.get_all("TRACESTATE") == std::vector<std::string_view>{"a=1", "b=2"});
  // Beast keeps fields of one name together, in the order they came (all RFC 9110 asks).
  CHECK(reader.keys() == std::vector<std::string_view>{"TraceState", "tracestate", "Host"});
  CHECK_FALSE(reader.get("traceparent"));

  BeastHeaderCarrier carrier(request);
  carrier.set("tracestate", "c=3");
  CHECK(reader.get_all("tracestate") == std::vector<std::string_view>{"c=3"});
  CHECK(request.count("tracestate") == 1);
}

TEST_CASE("composite from OTEL_PROPAGATORS: default tracecontext,baggage") {
  auto config = finalize_config({}, Environment::from_pairs({}));
  REQUIRE(config);
  auto propagator = make_propagator(*config);
  CHECK(fields_of(*propagator) ==
        std::vector<std::string_view>{"traceparent", "tracestate", "baggage"});
  Headers headers;
  KeyValueCarrier carrier(headers);
  propagator->inject(sampled_remote_with_baggage(), carrier);
  CHECK(headers == Headers{{"traceparent", std::string(traceparent)}, {"baggage", "tenant=acme"}});

  Context extracted = propagator->extract(KeyValueReader(headers));
  CHECK(extracted.span_context().trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(extracted.baggage().get("tenant") == "acme");
}

TEST_CASE("composite from OTEL_PROPAGATORS: every format injects, in the order given") {
  auto propagator = from_environment("b3multi, jaeger ,b3,tracecontext,baggage");
  Headers headers;
  KeyValueCarrier carrier(headers);
  propagator->inject(sampled_remote_with_baggage(), carrier);
  std::vector<std::string> names;
  for (const auto& header : headers)
    names.push_back(header.first);
  CHECK(names == std::vector<std::string>{"X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled",
                                          "uber-trace-id", "uberctx-tenant", "b3", "traceparent",
                                          "baggage"});
}

TEST_CASE("composite: extract runs in order, so the later format wins for the span") {
  Headers headers = {{"traceparent", std::string(traceparent)},
                     {"b3", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0"}};
  CHECK(from_environment("tracecontext,b3")
            ->extract(KeyValueReader(headers))
            .span_context()
            .trace_id.to_hex() == "0af7651916cd43dd8448eb211c80319c");
  CHECK(from_environment("b3,tracecontext")
            ->extract(KeyValueReader(headers))
            .span_context()
            .trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  // A format with nothing valid to say leaves what the earlier one found.
  headers[1].second = "broken";
  CHECK(from_environment("tracecontext,b3")
            ->extract(KeyValueReader(headers))
            .span_context()
            .trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_CASE("composite: none propagates nothing, unknown names are warned about and skipped") {
  auto none = from_environment("none");
  CHECK(fields_of(*none).empty());
  Headers headers;
  KeyValueCarrier carrier(headers);
  none->inject(sampled_remote_with_baggage(), carrier);
  CHECK(headers.empty());
  Headers incoming = {{"traceparent", std::string(traceparent)}};
  CHECK_FALSE(none->extract(KeyValueReader(incoming)).span_context().is_valid());

  auto config =
      finalize_config({}, Environment::from_pairs({{"OTEL_PROPAGATORS", "xray,tracecontext"}}));
  REQUIRE(config);
  REQUIRE(config->diagnostics().size() == 1);
  CHECK_THAT(config->diagnostics()[0].message, Catch::Contains("unknown propagator \"xray\""));
  CHECK(fields_of(*make_propagator(*config)) ==
        std::vector<std::string_view>{"traceparent", "tracestate"});
}

TEST_CASE("composite from a list of kinds and from propagators") {
  std::vector<PropagatorKind> kinds = {PropagatorKind::jaeger, PropagatorKind::b3};
  CHECK(fields_of(*make_propagator(kinds)) == std::vector<std::string_view>{"uber-trace-id", "b3"});
  auto same_twice =
      make_composite_propagator({make_baggage_propagator(), make_baggage_propagator()});
  CHECK(fields_of(*same_twice) == std::vector<std::string_view>{"baggage"});
  CHECK(fields_of(*make_composite_propagator({nullptr})).empty());
}

TEST_CASE("propagation end to end: extract, server span, client span, inject over Beast") {
  testing::MemoryProvider memory;
  auto propagator = from_environment("tracecontext,baggage");
  http::request<http::empty_body> incoming{http::verb::get, "/specs", 11};
  incoming.set("TraceParent", std::string(traceparent));
  incoming.set("tracestate", "congo=t61rcWkgMzE");
  incoming.set("baggage", "userId=alice");
  Context parent = propagator->extract(BeastHeaderReader(incoming));
  auto server =
      memory.tracer.start_span("GET /specs", {.kind = SpanKind::server, .parent = parent});
  Scope scope(parent.with_span(server));
  CHECK(current_baggage().get("userId") == "alice");
  auto client = memory.tracer.start_span("GET", {.kind = SpanKind::client});
  {
    auto client_scope = client.activate();
    http::request<http::empty_body> outgoing{http::verb::get, "/backend", 11};
    BeastHeaderCarrier carrier(outgoing);
    propagator->inject(current_context(), carrier);
    CHECK(outgoing["traceparent"] ==
          "00-4bf92f3577b34da6a3ce929d0e0e4736-" + client.context().span_id.to_hex() + "-01");
    CHECK(outgoing["tracestate"] == "congo=t61rcWkgMzE");
    CHECK(outgoing["baggage"] == "userId=alice");
  }
  client.end();
  server.end();
  memory.provider.force_flush();
  auto spans = memory.store->spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[1].data.parent_span_id.to_hex() == "00f067aa0ba902b7");
  CHECK(spans[1].data.parent_is_remote);
  CHECK(spans[0].data.parent_span_id == server.context().span_id);
}

TEST_CASE("the global propagator: tracecontext and baggage until replaced, safe while replaced") {
  CHECK(fields_of(global_propagator()) ==
        std::vector<std::string_view>{"traceparent", "tracestate", "baggage"});
  set_global_propagator(make_b3_propagator(B3Encoding::multiple_headers));
  const TextMapPropagator& b3 = global_propagator();
  CHECK(fields_of(b3).front() == "X-B3-TraceId");
  std::thread replacer([] {
    for (int round = 0; round < 50; ++round)
      set_global_propagator(round % 2 ? make_jaeger_propagator() : make_baggage_propagator());
  });
  for (int round = 0; round < 200; ++round)
    CHECK_FALSE(fields_of(global_propagator()).empty());
  replacer.join();
  CHECK(fields_of(b3).front() == "X-B3-TraceId");  // still alive after being replaced
  set_global_propagator(nullptr);
  CHECK(fields_of(global_propagator()).front() == "traceparent");
}
