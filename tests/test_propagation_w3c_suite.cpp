// Every case of the official W3C trace-context test suite (w3c/trace-context, test/test.py; run
// there with SPEC_LEVEL=2 and STRICT_LEVEL=2), mirrored: the same request headers, the same
// expectations on what the service sends to its callbacks.
//
// The suite sends a request to a service, which must call back the harness once per argument; the
// harness then checks the traceparent and tracestate of each callback. Here the "request" is raw
// HTTP text read by Beast's parser (so casing, repeated fields and white space behave as on the
// wire), the service extracts with the default propagators (OTEL_PROPAGATORS unset), starts its
// SERVER span, and makes one CLIENT span per callback whose headers it injects. The checks below
// parse those headers as the harness does: exactly one traceparent (any case) of the form
// ^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$ with non-zero ids, and every tracestate field split
// on OWS "," OWS into key=value members of the Level 2 grammar.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

#include "support/memory_provider.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/propagation.hpp"
#include "tachi_trace/propagation_beast.hpp"

using namespace tachi_trace;
namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view trace_id = "12345678901234567890123456789012";

// ---- the service under test --------------------------------------------------------------------

http::request<http::empty_body> read_request(const Headers& headers) {
  std::string text = "POST /test HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n";
  for (const auto& [name, value] : headers)
    text += name + ": " + value + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  http::request_parser<http::empty_body> parser;
  boost::beast::error_code error;
  parser.put(boost::asio::buffer(text), error);
  REQUIRE_FALSE(error);
  REQUIRE(parser.is_done());
  return parser.release();
}

Headers fields_of(const http::fields& fields) {
  Headers headers;
  for (const auto& field : fields)
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return headers;
}

/// Handles one request of the harness: returns the headers of each callback it makes.
std::vector<Headers> serve(const Headers& request_headers, int callbacks = 1) {
  auto config = finalize_config({}, Environment::from_pairs({}));
  REQUIRE(config);
  auto propagator = make_propagator(*config);
  testing::MemoryProvider memory;
  auto request = read_request(request_headers);
  Context parent = propagator->extract(BeastHeaderReader(request));
  auto server =
      memory.tracer.start_span("POST /test", {.kind = SpanKind::server, .parent = parent});
  Scope server_scope(parent.with_span(server));
  std::vector<Headers> sent;
  for (int callback = 0; callback < callbacks; ++callback) {
    auto client = memory.tracer.start_span("POST", {.kind = SpanKind::client});
    auto client_scope = client.activate();
    http::request<http::empty_body> outgoing{http::verb::post, "/callback", 11};
    BeastHeaderCarrier carrier(outgoing);
    propagator->inject(current_context(), carrier);
    sent.push_back(fields_of(outgoing));
  }
  return sent;
}

// ---- the harness's view of a callback ----------------------------------------------------------

struct Traceparent {
  std::string trace_id;
  std::string parent_id;
  unsigned flags = 0;
};

bool is_named(const std::string& name, std::string_view wanted) {
  return std::regex_match(
      name, std::regex(std::string("^") + std::string(wanted) + "$", std::regex::icase));
}

Traceparent traceparent_of(const Headers& headers) {
  std::vector<std::string> values;
  for (const auto& [name, value] : headers)
    if (is_named(name, "traceparent")) values.push_back(value);
  REQUIRE(values.size() == 1);
  std::smatch match;
  static const std::regex format("^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$");
  REQUIRE(std::regex_match(values[0], match, format));
  REQUIRE(match[1] == "00");
  REQUIRE(match[2] != std::string(32, '0'));
  REQUIRE(match[3] != std::string(16, '0'));
  return {match[2], match[3], static_cast<unsigned>(std::stoul(match[4], nullptr, 16))};
}

/// The harness's Tracestate: ordered members; a repeated key keeps its first value.
struct Tracestate {
  std::vector<std::pair<std::string, std::string>> members;
  std::vector<std::string> field_values;

  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const std::string* find(const std::string& key) const {
    for (const auto& [member_key, value] : members)
      if (member_key == key) return &value;
    return nullptr;
  }
  std::string value(const std::string& key) const {
    const std::string* found = find(key);
    REQUIRE(found != nullptr);
    return *found;
  }
  std::string to_string() const {
    std::string text;
    for (const auto& [key, value] : members)
      text += (text.empty() ? "" : ",") + key + "=" + value;
    return text;
  }
};

// The harness's member format:
// ^([0-9a-z][_0-9a-z\-\*\/@]{0,255})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}
// [\x21-\x2b\x2d-\x3c\x3e-\x7e])$
bool is_harness_member(std::string_view member, std::string& key, std::string& value) {
  const auto equals = member.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals > 256) return false;
  auto key_character = [](char character) {
    return (character >= '0' && character <= '9') || (character >= 'a' && character <= 'z') ||
           std::string_view("_-*/@").find(character) != std::string_view::npos;
  };
  auto value_character = [](char character) {
    return character >= 0x20 && character <= 0x7e && character != 0x2c && character != 0x3d;
  };
  key = member.substr(0, equals);
  value = member.substr(equals + 1);
  if (key.front() == '_' || key.front() == '-' || key.front() == '*' || key.front() == '/' ||
      key.front() == '@' || !std::all_of(key.begin(), key.end(), key_character))
    return false;
  return !value.empty() && value.size() <= 256 && value.back() != ' ' &&
         std::all_of(value.begin(), value.end(), value_character);
}

// re.split('[ \t]*,[ \t]*', value): white space is dropped only next to the commas.
std::vector<std::string_view> harness_split(std::string_view value) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = value.find(',');
    std::string_view part = value.substr(0, comma);
    if (!parts.empty()) part.remove_prefix(std::min(part.find_first_not_of(" \t"), part.size()));
    if (comma != std::string_view::npos)
      part.remove_suffix(part.size() - (part.find_last_not_of(" \t") + 1));
    parts.push_back(part);
    if (comma == std::string_view::npos) return parts;
    value.remove_prefix(comma + 1);
  }
}

Tracestate tracestate_of(const Headers& headers) {
  Tracestate state;
  for (const auto& [name, value] : headers) {
    if (!is_named(name, "tracestate")) continue;
    state.field_values.push_back(value);
    for (std::string_view member : harness_split(value)) {
      if (member.empty()) continue;
      std::string key;
      std::string member_value;
      REQUIRE(is_harness_member(member, key, member_value));  // the harness fails on these
      if (!state.contains(key)) state.members.emplace_back(key, member_value);
    }
  }
  return state;
}

struct Callback {
  Traceparent traceparent;
  Tracestate tracestate;
};

Callback single_request(const Headers& headers) {
  auto sent = serve(headers);
  REQUIRE(sent.size() == 1);
  return {traceparent_of(sent[0]), tracestate_of(sent[0])};
}

std::string traceparent_with(std::string_view flags) {
  return "00-12345678901234567890123456789012-1234567890123456-" + std::string(flags);
}

Headers with_traceparent(Headers tracestates) {
  tracestates.insert(tracestates.begin(), {"traceparent", traceparent_with("00")});
  return tracestates;
}

}  // namespace

// ---- TraceContextTest
// ----------------------------------------------------------------------------

TEST_CASE("w3c suite: test_both_traceparent_and_tracestate_missing") {
  single_request({});  // a valid traceparent is all the harness asks for
}

TEST_CASE("w3c suite: test_traceparent_included_tracestate_missing") {
  auto callback = single_request({{"traceparent", traceparent_with("01")}});
  CHECK(callback.traceparent.trace_id == trace_id);
  CHECK(callback.traceparent.parent_id != "1234567890123456");
}

TEST_CASE("w3c suite: test_traceparent_duplicated") {
  auto callback =
      single_request({{"traceparent", "00-12345678901234567890123456789011-1234567890123456-01"},
                      {"traceparent", "00-12345678901234567890123456789012-1234567890123456-01"}});
  CHECK(callback.traceparent.trace_id != "12345678901234567890123456789011");
  CHECK(callback.traceparent.trace_id != "12345678901234567890123456789012");
}

TEST_CASE("w3c suite: test_traceparent_header_name") {
  for (const char* name : {"trace-parent", "trace.parent"})
    CHECK(single_request({{name, traceparent_with("01")}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_header_name_valid_casing") {
  for (const char* name : {"TraceParent", "TrAcEpArEnT", "TRACEPARENT"})
    CHECK(single_request({{name, traceparent_with("01")}}).traceparent.trace_id == trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_0x00") {
  for (const char* value :
       {"00-12345678901234567890123456789012-1234567890123456-01.",
        "00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like"})
    CHECK(single_request({{"traceparent", value}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_0xcc") {
  CHECK(single_request({{"traceparent", "cc-12345678901234567890123456789012-1234567890123456-01"}})
            .traceparent.trace_id == trace_id);
  CHECK(single_request({{"traceparent",
                         "cc-12345678901234567890123456789012-1234567890123456-01-what-the-"
                         "future-will-be-like"}})
            .traceparent.trace_id == trace_id);
  CHECK(single_request({{"traceparent",
                         "cc-12345678901234567890123456789012-1234567890123456-01.what-the-"
                         "future-will-be-like"}})
            .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_0xff") {
  CHECK(single_request({{"traceparent", "ff-12345678901234567890123456789012-1234567890123456-01"}})
            .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_illegal_characters") {
  for (const char* value : {".0-12345678901234567890123456789012-1234567890123456-01",
                            "0.-12345678901234567890123456789012-1234567890123456-01"})
    CHECK(single_request({{"traceparent", value}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_too_long") {
  for (const char* value : {"000-12345678901234567890123456789012-1234567890123456-01",
                            "0000-12345678901234567890123456789012-1234567890123456-01"})
    CHECK(single_request({{"traceparent", value}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_version_too_short") {
  CHECK(single_request({{"traceparent", "0-12345678901234567890123456789012-1234567890123456-01"}})
            .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_trace_id_all_zero") {
  CHECK(single_request({{"traceparent", "00-00000000000000000000000000000000-1234567890123456-01"}})
            .traceparent.trace_id != "00000000000000000000000000000000");
}

TEST_CASE("w3c suite: test_traceparent_trace_id_illegal_characters") {
  CHECK(single_request({{"traceparent", "00-.2345678901234567890123456789012-1234567890123456-01"}})
            .traceparent.trace_id != ".2345678901234567890123456789012");
  CHECK(single_request({{"traceparent", "00-1234567890123456789012345678901.-1234567890123456-01"}})
            .traceparent.trace_id != "1234567890123456789012345678901.");
}

TEST_CASE("w3c suite: test_traceparent_trace_id_too_long") {
  auto callback =
      single_request({{"traceparent", "00-123456789012345678901234567890123-1234567890123456-01"}});
  CHECK(callback.traceparent.trace_id != "123456789012345678901234567890123");
  CHECK(callback.traceparent.trace_id != "12345678901234567890123456789012");
  CHECK(callback.traceparent.trace_id != "23456789012345678901234567890123");
}

TEST_CASE("w3c suite: test_traceparent_trace_id_too_short") {
  CHECK(single_request({{"traceparent", "00-1234567890123456789012345678901-1234567890123456-01"}})
            .traceparent.trace_id != "1234567890123456789012345678901");
}

TEST_CASE("w3c suite: test_traceparent_parent_id_all_zero") {
  CHECK(single_request({{"traceparent", "00-12345678901234567890123456789012-0000000000000000-01"}})
            .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_parent_id_illegal_characters") {
  for (const char* value : {"00-12345678901234567890123456789012-.234567890123456-01",
                            "00-12345678901234567890123456789012-123456789012345.-01"})
    CHECK(single_request({{"traceparent", value}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_parent_id_too_long") {
  CHECK(
      single_request({{"traceparent", "00-12345678901234567890123456789012-12345678901234567-01"}})
          .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_parent_id_too_short") {
  CHECK(single_request({{"traceparent", "00-12345678901234567890123456789012-123456789012345-01"}})
            .traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_trace_flags_illegal_characters") {
  for (const char* flags : {".0", "0."})
    CHECK(single_request({{"traceparent", traceparent_with(flags)}}).traceparent.trace_id !=
          trace_id);
}

TEST_CASE("w3c suite: test_traceparent_trace_flags_too_long") {
  CHECK(single_request({{"traceparent", traceparent_with("001")}}).traceparent.trace_id !=
        trace_id);
}

TEST_CASE("w3c suite: test_traceparent_trace_flags_too_short") {
  CHECK(single_request({{"traceparent", traceparent_with("1")}}).traceparent.trace_id != trace_id);
}

TEST_CASE("w3c suite: test_traceparent_ows_handling") {
  const std::string value = traceparent_with("01");
  for (const std::string& padded :
       {" " + value, "\t" + value, value + " ", value + "\t", "\t " + value + " \t"})
    CHECK(single_request({{"traceparent", padded}}).traceparent.trace_id == trace_id);
}

TEST_CASE("w3c suite: test_tracestate_included_traceparent_missing") {
  auto first = single_request({{"tracestate", "foo=1"}});
  auto second = single_request({{"tracestate", "foo=1,bar=2"}});
  CHECK(first.tracestate.members.size() == second.tracestate.members.size());
  CHECK(first.tracestate.members.empty());  // ours: discarded outright
}

TEST_CASE("w3c suite: test_tracestate_included_traceparent_included") {
  auto callback = single_request(with_traceparent({{"tracestate", "foo=1,bar=2"}}));
  CHECK(callback.traceparent.trace_id == trace_id);
  CHECK(callback.tracestate.value("foo") == "1");
  CHECK(callback.tracestate.value("bar") == "2");
}

TEST_CASE("w3c suite: test_tracestate_header_name") {
  for (const char* name : {"trace-state", "trace.state"})
    CHECK_FALSE(single_request(with_traceparent({{name, "foo=1"}})).tracestate.contains("foo"));
}

TEST_CASE("w3c suite: test_tracestate_header_name_valid_casing") {
  for (const char* name : {"TraceState", "TrAcEsTaTe", "TRACESTATE"})
    CHECK(single_request(with_traceparent({{name, "foo=1"}})).tracestate.value("foo") == "1");
}

TEST_CASE("w3c suite: test_tracestate_empty_header") {
  auto empty = single_request(with_traceparent({{"tracestate", ""}}));
  CHECK(empty.traceparent.trace_id == trace_id);
  CHECK(empty.tracestate.field_values.empty());  // ours: no empty tracestate is sent
  for (const Headers& fields : {Headers{{"tracestate", "foo=1"}, {"tracestate", ""}},
                                Headers{{"tracestate", ""}, {"tracestate", "foo=1"}}}) {
    auto callback = single_request(with_traceparent(fields));
    CHECK(callback.traceparent.trace_id == trace_id);
    CHECK(callback.tracestate.value("foo") == "1");
  }
}

TEST_CASE("w3c suite: test_tracestate_multiple_headers_different_keys") {
  auto callback = single_request(with_traceparent(
      {{"tracestate", "foo=1,bar=2"}, {"tracestate", "rojo=1,congo=2"}, {"tracestate", "baz=3"}}));
  CHECK(callback.traceparent.trace_id == trace_id);
  CHECK(callback.tracestate.to_string() == "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST_CASE("w3c suite: test_tracestate_duplicated_keys (strict)") {
  for (const Headers& fields : {Headers{{"tracestate", "foo=1,foo=1"}},
                                Headers{{"tracestate", "foo=1"}, {"tracestate", "foo=1"}}}) {
    auto callback = single_request(with_traceparent(fields));
    CHECK(callback.traceparent.trace_id == trace_id);
    CHECK(callback.tracestate.value("foo") == "1");
  }
  for (const Headers& fields : {Headers{{"tracestate", "foo=1,foo=2"}},
                                Headers{{"tracestate", "foo=1"}, {"tracestate", "foo=2"}}}) {
    auto callback = single_request(with_traceparent(fields));
    CHECK(callback.traceparent.trace_id == trace_id);
    CHECK(callback.tracestate.contains("foo"));
    CHECK(callback.tracestate.field_values == std::vector<std::string>{"foo=1"});  // ours: first
  }
}

TEST_CASE("w3c suite: test_tracestate_all_allowed_characters") {
  std::string key_without_vendor;
  for (char letter = 'a'; letter <= 'z'; ++letter)
    key_without_vendor += letter;
  key_without_vendor += "0123456789_-*/";
  const std::string key_with_vendor = key_without_vendor + "@a-z0-9_-*/";
  std::string value;
  for (int character = 0x20; character <= 0x7e; ++character)
    if (character != 0x2c && character != 0x3d) value += static_cast<char>(character);
  for (const std::string& key : {key_without_vendor, key_with_vendor}) {
    auto callback = single_request(with_traceparent({{"tracestate", key + "=" + value}}));
    CHECK(callback.tracestate.value(key) == value);
  }
}

TEST_CASE("w3c suite: test_tracestate_ows_handling") {
  for (const char* header : {"foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"}) {
    auto callback = single_request(with_traceparent({{"tracestate", header}}));
    CHECK(callback.tracestate.value("foo") == "1");
    CHECK(callback.tracestate.value("bar") == "2");
    CHECK(callback.tracestate.value("baz") == "3");
  }
  for (const char* header : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"}) {
    auto callback = single_request(with_traceparent({{"tracestate", header}}));
    CHECK(callback.traceparent.trace_id == trace_id);
    CHECK(callback.tracestate.value("foo") == "1");
  }
}

TEST_CASE("w3c suite: test_tracestate_key_illegal_characters (strict)") {
  CHECK_FALSE(
      single_request(with_traceparent({{"tracestate", "foo =1"}})).tracestate.contains("foo "));
  CHECK_FALSE(
      single_request(with_traceparent({{"tracestate", "FOO=1"}})).tracestate.contains("FOO"));
  CHECK_FALSE(single_request(with_traceparent({{"tracestate", "foo.bar=1"}}))
                  .tracestate.contains("foo.bar"));
}

TEST_CASE("w3c suite: test_tracestate_key_illegal_vendor_format (strict)") {
  auto trailing_at = single_request(with_traceparent({{"tracestate", "foo@=1,bar=2"}}));
  CHECK(trailing_at.tracestate.value("foo@") == "1");
  CHECK(trailing_at.tracestate.value("bar") == "2");
  auto leading_at = single_request(with_traceparent({{"tracestate", "@foo=1,bar=2"}}));
  CHECK_FALSE(leading_at.tracestate.contains("bar"));
  auto double_at = single_request(with_traceparent({{"tracestate", "foo@@bar=1,bar=2"}}));
  CHECK(double_at.tracestate.value("foo@@bar") == "1");
  CHECK(double_at.tracestate.value("bar") == "2");
  auto two_ats = single_request(with_traceparent({{"tracestate", "foo@bar@baz=1,bar=2"}}));
  CHECK(two_ats.tracestate.value("foo@bar@baz") == "1");
  CHECK(two_ats.tracestate.value("bar") == "2");
}

TEST_CASE("w3c suite: test_tracestate_member_count_limit (strict)") {
  Headers fields = {
      {"tracestate",
       "bar01=01,bar02=02,bar03=03,bar04=04,bar05=05,bar06=06,bar07=07,bar08=08,bar09=09,bar10=10"},
      {"tracestate",
       "bar11=11,bar12=12,bar13=13,bar14=14,bar15=15,bar16=16,bar17=17,bar18=18,bar19=19,bar20=20"},
      {"tracestate",
       "bar21=21,bar22=22,bar23=23,bar24=24,bar25=25,bar26=26,bar27=27,bar28=28,bar29=29,bar30=30"},
      {"tracestate", "bar31=31,bar32=32"}};
  auto thirty_two = single_request(with_traceparent(fields));
  CHECK(thirty_two.tracestate.value("bar01") == "01");
  CHECK(thirty_two.tracestate.members.size() == 32);
  fields.back().second += ",bar33=33";
  CHECK_FALSE(single_request(with_traceparent(fields)).tracestate.contains("bar01"));
}

TEST_CASE("w3c suite: test_tracestate_key_length_limit (strict)") {
  auto kept = [](const std::string& key) {
    auto callback =
        single_request(with_traceparent({{"tracestate", "foo=1"}, {"tracestate", key + "=1"}}));
    CHECK(callback.tracestate.value("foo") == "1");
    CHECK(callback.tracestate.value(key) == "1");
  };
  kept(std::string(256, 'z'));
  CHECK_FALSE(single_request(with_traceparent({{"tracestate", "foo=1"},
                                               {"tracestate", std::string(257, 'z') + "=1"}}))
                  .tracestate.contains("foo"));
  kept(std::string(241, 't') + "@" + std::string(14, 'v'));
  kept(std::string(242, 't') + "@v");
  kept("t@" + std::string(15, 'v'));
}

TEST_CASE("w3c suite: test_tracestate_value_illegal_characters (strict)") {
  CHECK_FALSE(
      single_request(with_traceparent({{"tracestate", "foo=bar=baz"}})).tracestate.contains("foo"));
  auto empty_value = single_request(with_traceparent({{"tracestate", "foo=,bar=3"}}));
  CHECK_FALSE(empty_value.tracestate.contains("foo"));
  CHECK_FALSE(empty_value.tracestate.contains("bar"));
}

// ---- AdvancedTest
// --------------------------------------------------------------------------------

TEST_CASE("w3c suite: test_multiple_requests_with_valid_traceparent") {
  std::set<std::string> trace_ids;
  std::set<std::string> parent_ids;
  for (const Headers& callback : serve({{"traceparent", traceparent_with("01")}}, 3)) {
    auto traceparent = traceparent_of(callback);
    trace_ids.insert(traceparent.trace_id);
    parent_ids.insert(traceparent.parent_id);
  }
  CHECK(trace_ids == std::set<std::string>{std::string(trace_id)});
  CHECK(parent_ids.size() == 3);
}

TEST_CASE("w3c suite: test_multiple_requests_without_traceparent") {
  std::set<std::string> parent_ids;
  for (const Headers& callback : serve({}, 3))
    parent_ids.insert(traceparent_of(callback).parent_id);
  CHECK(parent_ids.size() == 3);
}

TEST_CASE("w3c suite: test_multiple_requests_with_illegal_traceparent") {
  std::set<std::string> trace_ids;
  std::set<std::string> parent_ids;
  for (const Headers& callback :
       serve({{"traceparent", "00-00000000000000000000000000000000-1234567890123456-01"}}, 3)) {
    auto traceparent = traceparent_of(callback);
    trace_ids.insert(traceparent.trace_id);
    parent_ids.insert(traceparent.parent_id);
  }
  CHECK_FALSE(trace_ids.contains("00000000000000000000000000000000"));
  CHECK(parent_ids.size() == 3);
}

// ---- TraceContext2Test
// ---------------------------------------------------------------------------

TEST_CASE("w3c suite: test_propagates_random_flag") {
  auto callback = single_request({{"traceparent", traceparent_with("02")}});
  CHECK(callback.traceparent.trace_id == trace_id);
  CHECK(callback.traceparent.parent_id != "1234567890123456");
  // The harness's assert_bit_set(flags, 2) masks with 1 << (2 - 1): the random flag, 0x02.
  CHECK((callback.traceparent.flags & 0x02) == 0x02);
}
