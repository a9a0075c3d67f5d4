// Jaeger propagation: `uber-trace-id` and `uberctx-*` baggage, with the vectors of the Jaeger
// propagation format (jaegertracing documentation), in both directions.
#include <catch2/catch.hpp>
#include <map>

#include "support/memory_provider.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

Context extract(const Headers& headers, const Context& base = {}) {
  return make_jaeger_propagator()->extract(KeyValueReader(headers), base);
}

std::map<std::string, std::string> inject(const Context& context) {
  Headers headers;
  KeyValueCarrier carrier(headers);
  make_jaeger_propagator()->inject(context, carrier);
  return {headers.begin(), headers.end()};
}

Context remote(std::string_view flags, bool debug = false) {
  auto parent = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" +
                                  std::string(flags));
  REQUIRE(parent);
  return Context(Span::non_recording(*parent)).with_debug(debug);
}

}  // namespace

TEST_CASE("jaeger: full-length ids, sampled") {
  Context context =
      extract({{"uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1"}});
  const SpanContext& parent = context.span_context();
  REQUIRE(parent.is_valid());
  CHECK(parent.trace_id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(parent.span_id.to_hex() == "00f067aa0ba902b7");
  CHECK(parent.is_sampled());
  CHECK(parent.is_remote);
  CHECK_FALSE(context.debug());
}

TEST_CASE("jaeger: ids with leading zeros omitted are padded on the left") {
  Context context = extract({{"Uber-Trace-Id", "deadbeef:bef0:0:01"}});
  REQUIRE(context.span_context().is_valid());
  CHECK(context.span_context().trace_id.to_hex() == "000000000000000000000000deadbeef");
  CHECK(context.span_context().span_id.to_hex() == "000000000000bef0");
  Context sixty_four = extract({{"uber-trace-id", "a3ce929d0e0e4736:00f067aa0ba902b7:0:0"}});
  CHECK(sixty_four.span_context().trace_id.to_hex() == "0000000000000000a3ce929d0e0e4736");
  CHECK_FALSE(sixty_four.span_context().is_sampled());
}

TEST_CASE("jaeger: flags: 0x02 is debug (and sampled), other bits are ignored") {
  Context debug = extract({{"uber-trace-id", "abc:def:0:3"}});
  CHECK(debug.debug());
  CHECK(debug.span_context().is_sampled());
  Context debug_alone = extract({{"uber-trace-id", "abc:def:0:2"}});
  CHECK(debug_alone.debug());
  CHECK(debug_alone.span_context().is_sampled());
  Context firehose = extract({{"uber-trace-id", "abc:def:0:08"}});
  CHECK_FALSE(firehose.debug());
  CHECK_FALSE(firehose.span_context().is_sampled());
}

TEST_CASE("jaeger: a percent-encoded value is decoded; the parent id is only checked") {
  Context context = extract({{"uber-trace-id", "abc%3Adef%3a123%3A1"}});
  REQUIRE(context.span_context().is_valid());
  CHECK(context.span_context().span_id.to_hex() == "0000000000000def");
  CHECK(context.span_context().is_sampled());
}

TEST_CASE("jaeger: malformed values are ignored") {
  const Context base = Context().with_baggage(Baggage().with("kept", "1"));
  for (const std::string& value : std::vector<std::string>{
           "0:def:0:1", "abc:0:0:1", "abc:def:0", "abc:def:0:1:5", "abc:def::1",
           "abc:def:0:", "abc:def:0:100", "abc:xyz:0:1", std::string(33, 'a') + ":def:0:1",
           "abc:" + std::string(17, 'd') + ":0:1", "abc%3Gdef:0:1", "", std::string(300, 'a')}) {
    INFO(value);
    Context context = extract({{"uber-trace-id", value}}, base);
    CHECK_FALSE(context.span_context().is_valid());
    CHECK(context.baggage().get("kept") == "1");
  }
}

TEST_CASE("jaeger: uberctx-* headers add baggage, decoded, keys in lowercase") {
  const Context base =
      Context().with_baggage(Baggage().with("tenant", "from-w3c").with("key1", "old"));
  Context context = extract({{"uberctx-key1", "value1"},
                             {"UberCtx-Key2", "value%201%20%2F%20blah"},
                             {"uberctx-", "no key"},
                             {"other", "x"}},
                            base);
  const auto& entries = context.baggage().entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0] == Baggage::Entry{"tenant", "from-w3c", ""});
  CHECK(entries[1] == Baggage::Entry{"key1", "value1", ""});
  CHECK(entries[2] == Baggage::Entry{"key2", "value 1 / blah", ""});
}

TEST_CASE("jaeger: uberctx-* baggage is bounded like W3C baggage") {
  Headers headers;
  for (int index = 0; index < 100; ++index)
    headers.emplace_back("uberctx-k" + std::to_string(index), "v");
  CHECK(extract(headers).baggage().size() == 64);
  CHECK(extract({{"uberctx-big", std::string(9000, 'x')}}).baggage().empty());
}

TEST_CASE("jaeger inject: 32 and 16 digits, parent 0, flags as two hex digits") {
  CHECK(inject(remote("01")) ==
        std::map<std::string, std::string>{
            {"uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:01"}});
  CHECK(inject(remote("00")).at("uber-trace-id").ends_with(":0:00"));
  CHECK(inject(remote("01", true)).at("uber-trace-id").ends_with(":0:03"));
  CHECK(inject(remote("00", true)).at("uber-trace-id").ends_with(":0:00"));  // debug needs sampled
  CHECK(inject(Context()).empty());
}

TEST_CASE("jaeger inject: baggage as uberctx-* headers, values percent-encoded") {
  Baggage baggage = Baggage().with("key1", "value 1 / blah").with("bad key", "x").with("k2", "v");
  auto headers = inject(remote("01").with_baggage(baggage));
  CHECK(headers.at("uberctx-key1") == "value%201%20%2F%20blah");
  CHECK(headers.at("uberctx-k2") == "v");
  CHECK(headers.size() == 3);
}

TEST_CASE("jaeger: round trip through a server span keeps trace, debug and baggage") {
  testing::MemoryProvider memory;
  Context parent =
      extract({{"uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:b7ad6b7169203331:0:3"},
               {"uberctx-user", "alice"}});
  auto server = memory.tracer.start_span("server", {.kind = SpanKind::server, .parent = parent});
  Scope scope(parent.with_span(server));
  auto headers = inject(current_context());
  CHECK(headers.at("uber-trace-id") ==
        "4bf92f3577b34da6a3ce929d0e0e4736:" + server.context().span_id.to_hex() + ":0:03");
  CHECK(headers.at("uberctx-user") == "alice");
}

TEST_CASE("jaeger: merged baggage never holds more than 64 members") {
  Baggage held;
  for (int index = 0; index < 60; ++index)
    held = held.with("held" + std::to_string(index), "v");
  Headers headers;
  for (int index = 0; index < 10; ++index)
    headers.emplace_back("uberctx-extra" + std::to_string(index), "v");
  const Baggage merged = extract(headers, Context().with_baggage(held)).baggage();
  CHECK(merged.size() == 64);
  CHECK(merged.get("held59"));
  CHECK(merged.get("extra3"));
  CHECK_FALSE(merged.get("extra4"));
}
