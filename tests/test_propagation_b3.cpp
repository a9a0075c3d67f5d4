// B3 single and multiple headers, with the vectors of the B3 specification (openzipkin/
// b3-propagation) as the OpenTelemetry specification profiles them, in both directions.
#include <catch2/catch.hpp>
#include <map>

#include "support/memory_provider.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view trace_id = "80f198ee56343ba864fe8b2a57d3eff7";
constexpr std::string_view span_id = "e457b5a2e4d86bd1";

Context extract(const Headers& headers, const Context& base = {}) {
  return make_b3_propagator()->extract(KeyValueReader(headers), base);
}

std::map<std::string, std::string> inject(const Context& context, B3Encoding encoding) {
  Headers headers;
  KeyValueCarrier carrier(headers);
  make_b3_propagator(encoding)->inject(context, carrier);
  return {headers.begin(), headers.end()};
}

Context remote(std::string_view flags, bool debug = false) {
  auto parent = parse_traceparent("00-" + std::string(trace_id) + "-" + std::string(span_id) + "-" +
                                  std::string(flags));
  REQUIRE(parent);
  return Context(Span::non_recording(*parent)).with_debug(debug);
}

void check_parent(const Context& context, std::string_view expected_trace_id, bool sampled) {
  const SpanContext& parent = context.span_context();
  REQUIRE(parent.is_valid());
  CHECK(parent.trace_id.to_hex() == expected_trace_id);
  CHECK(parent.span_id.to_hex() == span_id);
  CHECK(parent.is_remote);
  CHECK(parent.is_sampled() == sampled);
}

}  // namespace

TEST_CASE("b3 single: the specification's examples") {
  SECTION("accept with a parent span id") {
    auto context = extract(
        {{"b3", std::string(trace_id) + "-" + std::string(span_id) + "-1-05e3ac9a4f6e3b90"}});
    check_parent(context, trace_id, true);
    CHECK_FALSE(context.debug());
  }
  SECTION("deny") {
    check_parent(extract({{"b3", std::string(trace_id) + "-" + std::string(span_id) + "-0"}}),
                 trace_id, false);
  }
  SECTION("debug implies accept and is kept") {
    auto context = extract({{"b3", std::string(trace_id) + "-" + std::string(span_id) + "-d"}});
    check_parent(context, trace_id, true);
    CHECK(context.debug());
  }
  SECTION("defer (no sampling state) is not sampled") {
    check_parent(extract({{"b3", std::string(trace_id) + "-" + std::string(span_id)}}), trace_id,
                 false);
  }
  SECTION("a 64-bit trace id is padded on the left") {
    check_parent(extract({{"B3", "a3ce929d0e0e4736-" + std::string(span_id) + "-1"}}),
                 "0000000000000000a3ce929d0e0e4736", true);
  }
}

TEST_CASE("b3 single: malformed values are ignored") {
  const Context base = Context().with_baggage(Baggage().with("kept", "1"));
  const std::string ids = std::string(trace_id) + "-" + std::string(span_id);
  for (const std::string& value :
       {ids + "-2", ids + "-1-", ids + "-1-05e3ac9a4f6e3b9", ids + "-1-05e3ac9a4f6e3b90-x",
        "80F198EE56343BA864FE8B2A57D3EFF7-" + std::string(span_id) + "-1",
        std::string(trace_id) + "-" + std::string(span_id).substr(1) + "-1",
        std::string(32, '0') + "-" + std::string(span_id) + "-1",
        std::string(trace_id) + "-" + std::string(16, '0') + "-1",
        std::string(trace_id).substr(2) + "-" + std::string(span_id) + "-1", std::string("-"),
        std::string(""), std::string("true"), std::string(200, 'a')}) {
    INFO(value);
    Context context = extract({{"b3", value}}, base);
    CHECK_FALSE(context.span_context().is_valid());
    CHECK_FALSE(context.debug());
    CHECK(context.baggage().get("kept") == "1");
  }
}

TEST_CASE("b3 single: a sampling state alone carries no ids; debug alone still travels") {
  CHECK_FALSE(extract({{"b3", "0"}}).span_context().is_valid());
  CHECK_FALSE(extract({{"b3", "1"}}).span_context().is_valid());
  Context debug = extract({{"b3", "d"}});
  CHECK_FALSE(debug.span_context().is_valid());
  CHECK(debug.debug());
}

TEST_CASE("b3 multiple: the specification's examples and lenient sampled values") {
  Headers headers = {{"X-B3-TraceId", std::string(trace_id)},
                     {"X-B3-ParentSpanId", "05e3ac9a4f6e3b90"},
                     {"X-B3-SpanId", std::string(span_id)},
                     {"X-B3-Sampled", "1"}};
  check_parent(extract(headers), trace_id, true);
  headers[3].second = "true";
  check_parent(extract(headers), trace_id, true);
  headers[3].second = "false";
  check_parent(extract(headers), trace_id, false);
  headers[3].second = "0";
  check_parent(extract(headers), trace_id, false);
  headers.pop_back();
  check_parent(extract(headers), trace_id, false);  // defer
}

TEST_CASE("b3 multiple: X-B3-Flags: 1 is debug, other values are ignored") {
  Headers headers = {{"x-b3-traceid", std::string(trace_id)},
                     {"x-b3-spanid", std::string(span_id)},
                     {"x-b3-flags", "1"}};
  Context debug = extract(headers);
  check_parent(debug, trace_id, true);
  CHECK(debug.debug());
  headers[2].second = "2";
  Context ignored = extract(headers);
  check_parent(ignored, trace_id, false);
  CHECK_FALSE(ignored.debug());
}

TEST_CASE("b3 multiple: malformed or incomplete headers are ignored, the first value wins") {
  auto valid = [](const Headers& headers) { return extract(headers).span_context().is_valid(); };
  const std::pair<std::string, std::string> trace = {"X-B3-TraceId", std::string(trace_id)};
  const std::pair<std::string, std::string> span = {"X-B3-SpanId", std::string(span_id)};
  CHECK_FALSE(valid({trace}));
  CHECK_FALSE(valid({span}));
  CHECK_FALSE(valid({trace, span, {"X-B3-Sampled", ""}}));
  CHECK_FALSE(valid({trace, span, {"X-B3-Sampled", "yes"}}));
  CHECK_FALSE(valid({trace, span, {"X-B3-ParentSpanId", "-"}}));
  CHECK_FALSE(valid({{"X-B3-TraceId", "xyz"}, span}));
  CHECK(valid({trace, span, {"X-B3-Sampled", "1"}, {"X-B3-Sampled", "nonsense"}}));
}

TEST_CASE("b3: the single header wins; an invalid single header falls back to multiple headers") {
  const std::string other_trace = "0af7651916cd43dd8448eb211c80319c";
  Headers headers = {{"b3", other_trace + "-" + std::string(span_id) + "-1"},
                     {"X-B3-TraceId", std::string(trace_id)},
                     {"X-B3-SpanId", std::string(span_id)},
                     {"X-B3-Sampled", "0"}};
  check_parent(extract(headers), other_trace, true);
  headers[0].second = "garbage";
  check_parent(extract(headers), trace_id, false);
}

TEST_CASE("b3 inject: single header by default, never a parent span id") {
  CHECK(inject(remote("01"), B3Encoding::single_header) ==
        std::map<std::string, std::string>{
            {"b3", std::string(trace_id) + "-" + std::string(span_id) + "-1"}});
  CHECK(inject(remote("00"), B3Encoding::single_header).at("b3").ends_with("-0"));
  CHECK(inject(remote("01", true), B3Encoding::single_header).at("b3").ends_with("-d"));
  CHECK(inject(Context(), B3Encoding::single_header).empty());
}

TEST_CASE("b3 inject: multiple headers, debug sent as X-B3-Flags instead of X-B3-Sampled") {
  CHECK(inject(remote("01"), B3Encoding::multiple_headers) ==
        std::map<std::string, std::string>{{"X-B3-TraceId", std::string(trace_id)},
                                           {"X-B3-SpanId", std::string(span_id)},
                                           {"X-B3-Sampled", "1"}});
  CHECK(inject(remote("01", true), B3Encoding::multiple_headers) ==
        std::map<std::string, std::string>{{"X-B3-TraceId", std::string(trace_id)},
                                           {"X-B3-SpanId", std::string(span_id)},
                                           {"X-B3-Flags", "1"}});
}

TEST_CASE("b3: a server span continues the trace and passes debug on to its outgoing calls") {
  testing::MemoryProvider memory;
  Context parent = extract({{"b3", std::string(trace_id) + "-" + std::string(span_id) + "-d"}});
  auto server = memory.tracer.start_span("server", {.kind = SpanKind::server, .parent = parent});
  Scope scope(parent.with_span(server));
  auto client = memory.tracer.start_span("client", {.kind = SpanKind::client});
  auto client_scope = client.activate();
  CHECK(client.is_recording());  // debug implies sampled, which the parent-based sampler follows
  const std::string header = inject(current_context(), B3Encoding::single_header).at("b3");
  CHECK(header == std::string(trace_id) + "-" + client.context().span_id.to_hex() + "-d");
  CHECK(client.context().span_id.to_hex() != span_id);  // never the caller's span id
}

TEST_CASE("b3 fields name the injected headers") {
  auto single = make_b3_propagator(B3Encoding::single_header)->fields();
  CHECK(std::vector<std::string_view>(single.begin(), single.end()) ==
        std::vector<std::string_view>{"b3"});
  auto multiple = make_b3_propagator(B3Encoding::multiple_headers)->fields();
  CHECK(std::vector<std::string_view>(multiple.begin(), multiple.end()) ==
        std::vector<std::string_view>{"X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "X-B3-Flags"});
}
