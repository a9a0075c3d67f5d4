#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tachi_trace/exporters/viewer.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using Json = nlohmann::json;

namespace {

const SystemTime base_time{std::chrono::seconds(1'700'000'000)};

TraceId trace_id(std::string_view hex) {
  return *TraceId::from_hex(hex);
}
SpanId span_id(std::string_view hex) {
  return *SpanId::from_hex(hex);
}

const TraceId trace_a = trace_id("0af7651916cd43dd8448eb211c80319c");
const TraceId trace_b = trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
const SpanId root_id = span_id("00f067aa0ba902b7");
const SpanId child_id = span_id("53995c3f42cd8ad8");
const SpanId grandchild_id = span_id("b7ad6b7169203331");

struct SpanSpec {
  TraceId trace;
  SpanId id;
  SpanId parent;
  std::string name;
  int start_ms;
  int end_ms;
  StatusCode status = StatusCode::unset;
  bool parent_is_remote = false;
};

SpanData make_span(const SpanSpec& spec) {
  SpanData span;
  span.context = SpanContext{spec.trace, spec.id, TraceFlags(1), {}, false};
  span.parent_span_id = spec.parent;
  span.parent_is_remote = spec.parent_is_remote;
  span.name = spec.name;
  span.start_time = base_time + std::chrono::milliseconds(spec.start_ms);
  span.end_time = base_time + std::chrono::milliseconds(spec.end_ms);
  span.status.code = spec.status;
  return span;
}

void add(TraceViewerStore& store, const SpanSpec& spec, std::string_view service = "shop") {
  store.add(make_span(spec), service);
}

std::vector<std::string> span_names(const std::vector<ViewerSpan>& spans) {
  std::vector<std::string> names;
  for (const auto& span : spans)
    names.push_back(span.data.name);
  return names;
}

}  // namespace

TEST_CASE("spans are grouped by trace whatever order they arrive in") {
  TraceViewerStore store;
  add(store, {trace_a, grandchild_id, child_id, "SELECT specs", 20, 30});
  add(store, {trace_b, span_id("1111111111111111"), {}, "GET /healthz", 5, 6});
  add(store, {trace_a, child_id, root_id, "db.query", 10, 40, StatusCode::error});

  SECTION("before the root arrives, the earliest span stands in for it") {
    auto summaries = store.summaries();
    REQUIRE(summaries.size() == 2);
    const auto& a = summaries.at(0).trace_id == trace_a ? summaries.at(0) : summaries.at(1);
    CHECK(a.root_name == "db.query");
    CHECK(a.root_span_id == child_id);
    CHECK(a.root_missing);
    CHECK(a.span_count == 2);
  }

  add(store, {trace_a, root_id, {}, "GET /api/specs/1", 0, 50});
  auto summaries = store.summaries();
  REQUIRE(summaries.size() == 2);
  // Most recently started first: trace_b started at 5 ms, trace_a at 0 ms.
  CHECK(summaries.at(0).trace_id == trace_b);
  const TraceSummary& a = summaries.at(1);
  CHECK(a.trace_id == trace_a);
  CHECK(a.root_name == "GET /api/specs/1");
  CHECK(a.root_span_id == root_id);
  CHECK_FALSE(a.root_missing);
  CHECK(a.service == "shop");
  CHECK(a.span_count == 3);
  CHECK(a.error_count == 1);
  CHECK(a.start == base_time);
  CHECK(a.duration == std::chrono::milliseconds(50));

  auto spans = store.trace(trace_a);
  REQUIRE(spans);
  CHECK(span_names(*spans) ==
        std::vector<std::string>{"GET /api/specs/1", "db.query", "SELECT specs"});
  CHECK(spans->at(2).data.parent_span_id == child_id);
  CHECK_FALSE(store.trace(trace_id("ffffffffffffffffffffffffffffffff")));
}

TEST_CASE("a span whose parent is in another process is the trace's root here") {
  TraceViewerStore store;
  add(store, {trace_a, child_id, root_id, "backend call", 3, 8});
  add(store, {trace_a, grandchild_id, span_id("0000000000000abc"), "GET /api/specs", 1, 9,
              StatusCode::unset, true});
  auto summary = store.summaries().at(0);
  CHECK(summary.root_name == "GET /api/specs");
  CHECK_FALSE(summary.root_missing);
}

TEST_CASE("the store is bounded in traces and in spans per trace, and counts what it drops") {
  TraceViewerStore store({.max_traces = 3, .max_spans_per_trace = 2});
  auto trace_number = [](int number) {
    char hex[33];
    std::snprintf(hex, sizeof hex, "%032x", number);
    return trace_id(hex);
  };
  for (int number = 1; number <= 3; ++number)
    add(store, {trace_number(number), root_id, {}, "trace " + std::to_string(number), number, 100});
  // Updating trace 1 makes it the most recently updated; trace 2 is now the oldest.
  add(store, {trace_number(1), child_id, root_id, "late child", 50, 60});
  add(store, {trace_number(4), root_id, {}, "trace 4", 4, 100});

  CHECK(store.trace(trace_number(1)));
  CHECK_FALSE(store.trace(trace_number(2)));
  CHECK(store.trace(trace_number(3)));
  CHECK(store.trace(trace_number(4)));

  CHECK_FALSE(store.add(
      make_span({trace_number(1), grandchild_id, child_id, "one too many", 55, 56}), "shop"));
  auto statistics = store.statistics();
  CHECK(statistics.traces == 3);
  CHECK(statistics.spans == 4);
  CHECK(statistics.evicted_traces == 1);
  CHECK(statistics.dropped_spans == 1);
  auto summaries = store.summaries();
  REQUIRE(summaries.size() == 3);
  CHECK(summaries.at(2).trace_id == trace_number(1));
  CHECK(summaries.at(2).dropped_spans == 1);
  CHECK(summaries.at(2).span_count == 2);
  CHECK(store.summaries(2).size() == 2);

  auto list = Json::parse(store.list_json());
  CHECK(list["capacity"] == 3);
  CHECK(list["max_spans_per_trace"] == 2);
  CHECK(list["evicted_traces"] == 1);
  CHECK(list["dropped_spans"] == 1);
}

TEST_CASE("the list JSON has what the viewer's list page shows") {
  TraceViewerStore store;
  add(store, {trace_a, root_id, {}, "GET /api/specs/1", 0, 50}, "tachi-sample");
  add(store, {trace_a, child_id, root_id, "db.query", 10, 40, StatusCode::error}, "tachi-sample");
  add(store, {trace_b, root_id, {}, "GET /healthz", 100, 101}, "tachi-sample");

  auto list = Json::parse(store.list_json());
  CHECK(list["traces_held"] == 2);
  REQUIRE(list["traces"].size() == 2);
  const Json& healthz = list["traces"][0];
  CHECK(healthz["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(healthz["error"] == false);
  const Json& specs = list["traces"][1];
  CHECK(specs["trace_id"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(specs["root_name"] == "GET /api/specs/1");
  CHECK(specs["root_span_id"] == "00f067aa0ba902b7");
  CHECK(specs["root_missing"] == false);
  CHECK(specs["service"] == "tachi-sample");
  CHECK(specs["start_time"] == "2023-11-14T22:13:20.000000Z");
  CHECK(specs["start_unix_nanos"] == "1700000000000000000");
  CHECK(specs["duration_nanos"] == 50'000'000);
  CHECK(specs["span_count"] == 2);
  CHECK(specs["error_count"] == 1);
  CHECK(specs["error"] == true);
  CHECK(Json::parse(store.list_json(1))["traces"].size() == 1);
}

TEST_CASE("the trace JSON has every span with ids, timing, status, attributes and events") {
  TraceViewerStore store;
  SpanData child = make_span({trace_a, child_id, root_id, "db.query", 10, 40, StatusCode::error});
  child.kind = SpanKind::client;
  child.status.description = "disk \"full\"";
  child.attributes = {{"db.system.name", "sqlite"},
                      {"db.rows", 3},
                      {"cached", false},
                      {"ratio", 0.5},
                      {"tags", std::vector<std::string>{"a", "b"}}};
  child.events.push_back({"retry", base_time + std::chrono::milliseconds(25), {{"attempt", 2}}});
  child.links.push_back({SpanContext{trace_b, grandchild_id, TraceFlags(1), {}, false}, {}});
  store.add(child, "shop");
  add(store, {trace_a, root_id, {}, "GET /api/specs/1", 0, 50});

  auto text = store.trace_json(trace_a);
  REQUIRE(text);
  auto trace = Json::parse(*text);
  CHECK(trace["trace_id"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(trace["root_name"] == "GET /api/specs/1");
  CHECK(trace["duration_nanos"] == 50'000'000);
  REQUIRE(trace["spans"].size() == 2);
  const Json& root = trace["spans"][0];
  CHECK(root["span_id"] == "00f067aa0ba902b7");
  CHECK(root["parent_span_id"] == "");
  CHECK(root["start_offset_nanos"] == 0);
  const Json& query = trace["spans"][1];
  CHECK(query["span_id"] == "53995c3f42cd8ad8");
  CHECK(query["parent_span_id"] == "00f067aa0ba902b7");
  CHECK(query["name"] == "db.query");
  CHECK(query["kind"] == "client");
  CHECK(query["service"] == "shop");
  CHECK(query["start_offset_nanos"] == 10'000'000);
  CHECK(query["duration_nanos"] == 30'000'000);
  CHECK(query["status"]["code"] == "error");
  CHECK(query["status"]["description"] == "disk \"full\"");
  CHECK(query["attributes"] == Json::parse(R"([{"key":"db.system.name","value":"sqlite"},
      {"key":"db.rows","value":3},{"key":"cached","value":false},{"key":"ratio","value":0.5},
      {"key":"tags","value":["a","b"]}])"));
  CHECK(query["events"] == Json::parse(R"([{"name":"retry","offset_nanos":25000000,
      "attributes":[{"key":"attempt","value":2}]}])"));
  CHECK(query["links"][0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(query["links"][0]["span_id"] == "b7ad6b7169203331");
  CHECK_FALSE(store.trace_json(trace_b));
}

TEST_CASE("invalid UTF-8 in span names does not break the JSON") {
  TraceViewerStore store;
  add(store, {trace_a, root_id, {}, "GET /caf\xC3\xA9/\xFF", 0, 1});
  auto trace = Json::parse(*store.trace_json(trace_a));
  CHECK(trace["spans"][0]["name"] == "GET /caf\xC3\xA9/\xEF\xBF\xBD");
}

TEST_CASE("the viewer exporter stores a real provider's spans and reports what it rejects") {
  auto store = std::make_shared<TraceViewerStore>(ViewerSettings{.max_spans_per_trace = 3});
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_viewer_exporter(store));
  ProviderSettings settings;
  settings.resource = Resource(Attributes{{"service.name", "viewer-test"}});
  TracerProvider provider(settings, std::move(exporters));
  Tracer tracer = provider.tracer("test");

  TraceId trace;
  SpanId request_id;
  {
    auto request = tracer.start_span("GET /api/specs/1", {.kind = SpanKind::server});
    trace = request.context().trace_id;
    request_id = request.context().span_id;
    auto scope = request.activate();
    auto query = tracer.start_span("db.select", {.kind = SpanKind::client});
    query.set_status(StatusCode::error, "no such table");
    query.end();
    for (int index = 0; index < 3; ++index)
      tracer.start_span("extra").end();
  }
  REQUIRE(provider.force_flush());

  auto spans = store->trace(trace);
  REQUIRE(spans);
  REQUIRE(spans->size() == 3);
  auto summary = store->summaries().at(0);
  CHECK(summary.service == "viewer-test");
  CHECK(summary.dropped_spans == 2);
  CHECK(spans->at(1).data.parent_span_id == request_id);
  CHECK(spans->at(1).scope_name == "test");
  auto counters = provider.counters();
  REQUIRE(counters.exporters.size() == 1);
  CHECK(counters.exporters[0].name == "viewer");
  CHECK(counters.exporters[0].exported == 3);
  CHECK(counters.exporters[0].dropped == 2);
}

TEST_CASE("readers and the exporter thread may use the store at once") {
  TraceViewerStore store({.max_traces = 50, .max_spans_per_trace = 20});
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int index = 0; index < 3000; ++index) {
      char hex[33];
      std::snprintf(hex, sizeof hex, "%032x", index / 10 + 1);
      char span_hex[17];
      std::snprintf(span_hex, sizeof span_hex, "%016x", index + 1);
      add(store, {trace_id(hex), span_id(span_hex), {}, "work", index, index + 5});
    }
    done = true;
  });
  std::size_t reads = 0;
  bool every_answer_parsed = true;
  do {
    auto list = Json::parse(store.list_json());
    every_answer_parsed = every_answer_parsed && list["traces"].size() <= 50;
    // A listed trace may be evicted before it is read: either answer is fine, neither may crash.
    for (const auto& summary : store.summaries(5))
      if (auto trace = store.trace_json(summary.trace_id))
        every_answer_parsed = every_answer_parsed && Json::parse(*trace).is_object();
    ++reads;
  } while (!done.load());
  writer.join();
  CHECK(every_answer_parsed);
  CHECK(reads > 0);
  auto statistics = store.statistics();
  CHECK(statistics.traces == 50);
  CHECK(statistics.spans == 500);
  CHECK(statistics.evicted_traces == 250);
}
