#include <catch2/catch.hpp>
#include <set>

#include "tachi_trace/ids.hpp"

using namespace tachi_trace;

TEST_CASE("trace ids round-trip through lowercase hex") {
  auto id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  REQUIRE(id);
  CHECK(id->is_valid());
  CHECK(id->to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(id->bytes()[0] == 0x4b);
  CHECK(id->bytes()[15] == 0x36);

  auto span = SpanId::from_hex("00f067aa0ba902b7");
  REQUIRE(span);
  CHECK(span->to_hex() == "00f067aa0ba902b7");
}

TEST_CASE("hex parsing refuses uppercase, wrong lengths and non-hex characters") {
  CHECK_FALSE(TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736"));
  CHECK_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473"));
  CHECK_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e47366"));
  CHECK_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473g"));
  CHECK_FALSE(SpanId::from_hex(""));
  CHECK_FALSE(SpanId::from_hex("00f067aa0ba902b-"));
}

TEST_CASE("all-zero ids parse but are invalid") {
  auto zero_trace = TraceId::from_hex(std::string(32, '0'));
  REQUIRE(zero_trace);
  CHECK_FALSE(zero_trace->is_valid());
  CHECK_FALSE(TraceId().is_valid());
  CHECK_FALSE(SpanId().is_valid());
  CHECK_FALSE(SpanContext{}.is_valid());
}

TEST_CASE("generated ids are valid and distinct") {
  std::set<std::string> trace_ids;
  std::set<std::string> span_ids;
  for (int index = 0; index < 10000; ++index) {
    auto trace_id = generate_trace_id();
    auto span_id = generate_span_id();
    REQUIRE(trace_id.is_valid());
    REQUIRE(span_id.is_valid());
    trace_ids.insert(trace_id.to_hex());
    span_ids.insert(span_id.to_hex());
  }
  CHECK(trace_ids.size() == 10000);
  CHECK(span_ids.size() == 10000);
}

TEST_CASE("a root span's ids come in one step, valid and distinct from every other id") {
  std::set<std::string> trace_ids;
  std::set<std::string> span_ids;
  for (int index = 0; index < 10000; ++index) {
    auto [trace_id, span_id] = generate_root_span_ids();
    REQUIRE(trace_id.is_valid());
    REQUIRE(span_id.is_valid());
    // The span id's word is not a half of the trace id's: all three come from separate steps.
    CHECK(trace_id.to_hex().find(span_id.to_hex()) == std::string::npos);
    trace_ids.insert(trace_id.to_hex());
    span_ids.insert(span_id.to_hex());
    // Mixed with the single-id calls, which share the thread's generator.
    trace_ids.insert(generate_trace_id().to_hex());
    span_ids.insert(generate_span_id().to_hex());
  }
  CHECK(trace_ids.size() == 20000);
  CHECK(span_ids.size() == 20000);
}

TEST_CASE("generated trace ids have random low-order bits (W3C level 2)") {
  // Each of the 56 low-order bits should be set in roughly half of the ids.
  constexpr int samples = 4000;
  int set_counts[56] = {};
  for (int index = 0; index < samples; ++index) {
    auto bytes = generate_trace_id().bytes();
    for (int bit = 0; bit < 56; ++bit)
      if (bytes[15 - bit / 8] >> (bit % 8) & 1) ++set_counts[bit];
  }
  for (int bit = 0; bit < 56; ++bit) {
    INFO("bit " << bit);
    CHECK(set_counts[bit] > samples * 4 / 10);
    CHECK(set_counts[bit] < samples * 6 / 10);
  }
}

TEST_CASE("trace flags") {
  TraceFlags flags(0x01);
  CHECK(flags.sampled());
  CHECK_FALSE(flags.random());
  CHECK(flags.with_random(true).bits() == 0x03);
  CHECK(flags.with_sampled(false).bits() == 0x00);
  CHECK(TraceFlags(0xff).with_sampled(false).bits() == 0xfe);
}

TEST_CASE("tracestate parses members in order and serialises them back") {
  auto state = TraceState::parse("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,, vendor@tenant=x y");
  REQUIRE(state);
  CHECK(state->size() == 3);
  CHECK(state->get("rojo") == "00f067aa0ba902b7");
  CHECK(state->get("congo") == "t61rcWkgMzE");
  CHECK(state->get("vendor@tenant") == "x y");
  CHECK(state->to_header() == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,vendor@tenant=x y");
}

TEST_CASE("tracestate is dropped whole when a member is invalid") {
  CHECK_FALSE(TraceState::parse("rojo=1,Congo=2"));                           // uppercase key
  CHECK_FALSE(TraceState::parse("rojo=1,congo"));                             // no '='
  CHECK_FALSE(TraceState::parse("rojo=1,congo=a,b"));                         // "b" has no '='
  CHECK_FALSE(TraceState::parse("rojo=va=lue"));                              // '=' in value
  CHECK_FALSE(TraceState::parse(std::string("k=") + std::string(257, 'v')));  // value too long
  CHECK_FALSE(TraceState::parse(std::string(257, 'k') + "=v"));               // key too long
}

TEST_CASE("tracestate keys follow the Level 2 grammar") {
  // key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" )
  CHECK(TraceState::parse("rojo=value "));  // white space around members is optional
  CHECK(TraceState::parse("1abc@system=x"));
  CHECK(TraceState::parse("1abc=x"));
  CHECK(TraceState::parse("abc@1sys=x"));
  CHECK(TraceState::parse("abc@systemnamemorethan14=x"));
  CHECK(TraceState::parse("foo@=1,a@b@c=2"));
  CHECK_FALSE(TraceState::parse("@foo=1"));
  CHECK_FALSE(TraceState::parse("_foo=1"));
  CHECK_FALSE(TraceState::parse("foo.bar=1"));
}

TEST_CASE("a repeated tracestate key keeps its first value") {
  auto state = TraceState::parse("rojo=1,congo=2,rojo=3");
  REQUIRE(state);
  CHECK(state->to_header() == "rojo=1,congo=2");
}

TEST_CASE("tracestate allows 32 members and refuses 33") {
  std::string header;
  for (int index = 0; index < 32; ++index)
    header += "k" + std::to_string(index) + "=v,";
  CHECK(TraceState::parse(header));
  header += "k32=v";
  CHECK_FALSE(TraceState::parse(header));
}

TEST_CASE("tracestate updates move the member to the front") {
  auto state = *TraceState::parse("a=1,b=2,c=3");
  auto updated = state.with("b", "9");
  REQUIRE(updated);
  CHECK(updated->to_header() == "b=9,a=1,c=3");
  CHECK(state.without("a").to_header() == "b=2,c=3");
  CHECK_FALSE(state.with("B", "1"));
}
