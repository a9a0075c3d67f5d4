// W3C Trace Context: traceparent and tracestate codecs and the tracecontext propagator, with the
// vectors of the recommendation (Level 2) in both directions.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "support/memory_provider.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view spec_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view spec_parent_id = "00f067aa0ba902b7";

Context extract(const Headers& headers, const Context& base = {}) {
  return make_trace_context_propagator()->extract(KeyValueReader(headers), base);
}

Headers inject(const Context& context) {
  Headers headers;
  KeyValueCarrier carrier(headers);
  make_trace_context_propagator()->inject(context, carrier);
  return headers;
}

std::string error_of(std::string_view traceparent) {
  auto parsed = parse_traceparent(traceparent);
  REQUIRE_FALSE(parsed);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("traceparent: the recommendation's examples parse into a remote context") {
  auto sampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(sampled);
  CHECK(sampled->trace_id.to_hex() == spec_trace_id);
  CHECK(sampled->span_id.to_hex() == spec_parent_id);
  CHECK(sampled->flags.bits() == 0x01);
  CHECK(sampled->is_remote);
  CHECK(sampled->trace_state.empty());

  auto not_sampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(not_sampled);
  CHECK_FALSE(not_sampled->is_sampled());
}

TEST_CASE("traceparent: flags keep sampled and random and clear the undefined bits") {
  auto flags_of = [](std::string_view flags) {
    auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" +
                                    std::string(flags));
    REQUIRE(parsed);
    return parsed->flags.bits();
  };
  CHECK(flags_of("02") == 0x02);
  CHECK(flags_of("03") == 0x03);
  CHECK(flags_of("ff") == 0x03);
  CHECK(flags_of("04") == 0x00);
  CHECK(flags_of("fd") == 0x01);
}

TEST_CASE("traceparent: versions") {
  const std::string fields = "-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  SECTION("a future version is read by its first four fields when '-' or the end follows") {
    CHECK(parse_traceparent("cc" + fields));
    CHECK(parse_traceparent("01" + fields + "-future-fields"));
    CHECK(parse_traceparent("fe" + fields + "-"));
    CHECK(parse_traceparent("cc" + fields + "-x")->trace_id.to_hex() == spec_trace_id);
  }
  SECTION("trailing data is refused after the flags of a future version without '-'") {
    CHECK_FALSE(parse_traceparent("cc" + fields + ".what-the-future-will-be-like"));
    CHECK_FALSE(parse_traceparent("cc" + fields + "1"));
  }
  SECTION("version 00 must be exactly 55 characters") {
    CHECK_FALSE(parse_traceparent("00" + fields + "-"));
    CHECK_FALSE(parse_traceparent("00" + fields + "-what-the-future-will-be-like"));
    CHECK_FALSE(parse_traceparent("00" + fields + "."));
  }
  SECTION("version ff and malformed versions are invalid") {
    CHECK_FALSE(parse_traceparent("ff" + fields));
    CHECK_FALSE(parse_traceparent("CC" + fields));
    CHECK_FALSE(parse_traceparent("0g" + fields));
    CHECK_FALSE(parse_traceparent("0" + fields));
    CHECK_FALSE(parse_traceparent("000" + fields));
  }
}

TEST_CASE("traceparent: ids must be lowercase hex of the exact length and not all zeros") {
  CHECK_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
  CHECK_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
  CHECK_FALSE(parse_traceparent(""));
  CHECK_FALSE(parse_traceparent(std::string(600, '0')));
}

TEST_CASE("traceparent: optional white space around the value is ignored") {
  const std::string value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  CHECK(parse_traceparent(" \t" + value + "\t "));
  CHECK_FALSE(parse_traceparent(value + "\r"));
}

TEST_CASE("traceparent: errors say what was received and what is wrong") {
  CHECK(error_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01") ==
        "traceparent must be \"<version>-<trace-id>-<parent-id>-<flags>\" in lowercase hex, but "
        "got \"00-00000000000000000000000000000000-00f067aa0ba902b7-01\": the trace id is all "
        "zeros");
  CHECK_THAT(error_of("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
             Catch::EndsWith(": version ff is invalid"));
  CHECK_THAT(error_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"),
             Catch::EndsWith(": version 00 must be exactly 55 characters"));
  CHECK_THAT(error_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-x1"),
             Catch::EndsWith(": the flags are not two lowercase hex digits"));
  CHECK_THAT(error_of(std::string(513, 'a')),
             Catch::Contains("but got 513 characters: it is longer than the 512 characters read"));
}

TEST_CASE("traceparent: format writes version 00 with only the defined flags") {
  auto context = *parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-x");
  CHECK(format_traceparent(context) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  context.flags = TraceFlags(0xfd);
  CHECK(format_traceparent(context) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_CASE("server-timing carries the span context in the editor's draft form") {
  auto context = *parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  CHECK(format_server_timing(context) ==
        "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  CHECK(format_server_timing(SpanContext{}).empty());
  CHECK(server_timing_header == "server-timing");
}

TEST_CASE("TACHI_HTTP_SERVER_TIMING is off by default and switched on by the environment") {
  auto defaults = finalize_config({}, Environment::from_pairs({}));
  REQUIRE(defaults);
  CHECK_FALSE(defaults->http_server_timing());
  auto enabled =
      finalize_config({}, Environment::from_pairs({{"TACHI_HTTP_SERVER_TIMING", "TRUE"}}));
  REQUIRE(enabled);
  CHECK(enabled->http_server_timing());
  auto wrong = finalize_config({}, Environment::from_pairs({{"TACHI_HTTP_SERVER_TIMING", "yes"}}));
  REQUIRE(wrong);
  CHECK_FALSE(wrong->http_server_timing());
  REQUIRE(wrong->diagnostics().size() == 1);
  CHECK(wrong->diagnostics()[0].message ==
        "TACHI_HTTP_SERVER_TIMING must be true or false, but got \"yes\"; using false");
}

TEST_CASE("tracestate: truncation when propagating removes whole members as the spec says") {
  SECTION("a state within 512 characters is sent whole") {
    auto state = *TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    CHECK(state.to_header(TraceState::max_propagated_length) == state.to_header());
  }
  SECTION("members over 128 characters go first, from the right") {
    const std::string long_value(200, 'l');
    auto state = *TraceState::parse("a=1,big1=" + long_value + ",b=2,big2=" + long_value +
                                    ",c=3,big3=" + long_value);
    CHECK(state.to_header().size() > 512);
    // Removing big3 leaves 423 characters: big1 and big2 stay.
    CHECK(state.to_header(512) == "a=1,big1=" + long_value + ",b=2,big2=" + long_value + ",c=3");
    CHECK(state.to_header(300) == "a=1,big1=" + long_value + ",b=2,c=3");
  }
  SECTION("then members from the right end") {
    std::string header;
    for (int index = 0; index < 32; ++index)
      header += "key" + std::to_string(index) + "=" + std::string(20, 'v') + ",";
    auto state = *TraceState::parse(header);
    const std::string cut = state.to_header(512);
    CHECK(cut.size() <= 512);
    CHECK(cut.starts_with("key0=" + std::string(20, 'v') + ",key1="));
    CHECK(cut.ends_with("key18=" + std::string(20, 'v')));  // 19 members: 502 characters
  }
  SECTION("nothing fits") {
    CHECK(TraceState::parse("abc=1")->to_header(4).empty());
  }
}

TEST_CASE("tracecontext extract: a valid traceparent becomes the remote parent") {
  Context context =
      extract({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
               {"tracestate", "rojo=00f067aa0ba902b7"},
               {"tracestate", "congo=t61rcWkgMzE"}});
  const SpanContext& parent = context.span_context();
  CHECK(parent.trace_id.to_hex() == spec_trace_id);
  CHECK(parent.span_id.to_hex() == spec_parent_id);
  CHECK(parent.is_remote);
  CHECK(parent.is_sampled());
  CHECK(parent.trace_state.to_header() == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  CHECK_FALSE(context.span().is_recording());
}

TEST_CASE("tracecontext extract: what is invalid leaves the context as it was") {
  const Context base = Context().with_baggage(Baggage().with("tenant", "acme"));
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto unchanged = [&](const Headers& headers) {
    Context context = extract(headers, base);
    CHECK_FALSE(context.span_context().is_valid());
    CHECK(context.baggage().get("tenant") == "acme");
  };
  unchanged({});
  unchanged({{"traceparent", valid}, {"TraceParent", valid}});  // two fields: invalid
  unchanged({{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}});
  unchanged({{"tracestate", "rojo=1"}});                    // tracestate alone is discarded
  unchanged({{"traceparent", valid + "," + valid}});        // two values in one field
  unchanged({{"traceparent", std::string(100'000, '0')}});  // refused before parsing
}

TEST_CASE("tracecontext extract: a bad tracestate is dropped, the traceparent kept") {
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto state_of = [&](const Headers& headers) {
    Context context = extract(headers);
    REQUIRE(context.span_context().is_valid());
    return context.span_context().trace_state.to_header();
  };
  CHECK(state_of({{"traceparent", valid}, {"tracestate", "rojo=1,Congo=2"}}).empty());
  CHECK(state_of({{"traceparent", valid}, {"tracestate", "rojo=1"}, {"tracestate", "x"}}).empty());
  CHECK(
      state_of({{"traceparent", valid}, {"tracestate", "a=" + std::string(40'000, 'x')}}).empty());
  CHECK(state_of({{"traceparent", valid}, {"tracestate", ""}, {"tracestate", "a=1"}}) == "a=1");
}

TEST_CASE("tracecontext inject: a new trace carries the span's ids with sampled and random") {
  testing::MemoryProvider memory;
  auto span = memory.tracer.start_span("outgoing", {.kind = SpanKind::client});
  auto scope = span.activate();
  Headers headers = inject(current_context());
  REQUIRE(headers.size() == 1);
  CHECK(headers[0].first == "traceparent");
  CHECK(headers[0].second ==
        "00-" + span.context().trace_id.to_hex() + "-" + span.context().span_id.to_hex() + "-03");
}

TEST_CASE("tracecontext inject: each outgoing call continues the trace with a new parent id") {
  testing::MemoryProvider memory;
  Context parent =
      extract({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02"},
               {"tracestate", "congo=t61rcWkgMzE"}});
  auto server = memory.tracer.start_span("server", {.kind = SpanKind::server, .parent = parent});
  Scope scope(parent.with_span(server));
  std::set<std::string> parent_ids;
  for (int call = 0; call < 3; ++call) {
    auto client = memory.tracer.start_span("client", {.kind = SpanKind::client});
    auto client_scope = client.activate();
    Headers headers = inject(current_context());
    std::map<std::string, std::string> fields(headers.begin(), headers.end());
    const std::string& traceparent = fields.at("traceparent");
    CHECK(traceparent.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
    CHECK(traceparent.substr(36, 16) == client.context().span_id.to_hex());
    CHECK(traceparent.substr(52) == "-02");  // the caller did not sample; random travels on
    CHECK(fields.at("tracestate") == "congo=t61rcWkgMzE");
    parent_ids.insert(traceparent.substr(36, 16));
  }
  CHECK(parent_ids.size() == 3);
  CHECK_FALSE(parent_ids.contains(std::string(spec_parent_id)));
}

TEST_CASE("tracecontext inject: no valid span, no header; long tracestate cut to 512") {
  CHECK(inject(Context()).empty());
  auto context = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  std::string state;
  for (int index = 0; index < 32; ++index)
    state += "vendor" + std::to_string(index) + "=" + std::string(60, 'x') + ",";
  context.trace_state = *TraceState::parse(state);
  Headers headers = inject(Context(Span::non_recording(context)));
  REQUIRE(headers.size() == 2);
  CHECK(headers[1].first == "tracestate");
  CHECK(headers[1].second.size() <= 512);
  CHECK(headers[1].second.starts_with("vendor0="));
  CHECK(TraceState::parse(headers[1].second)->size() == 7);
}

TEST_CASE("tracecontext fields are traceparent and tracestate") {
  auto fields = make_trace_context_propagator()->fields();
  CHECK(std::vector<std::string_view>(fields.begin(), fields.end()) ==
        std::vector<std::string_view>{"traceparent", "tracestate"});
}
