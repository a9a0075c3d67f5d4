#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tachi_trace/exporters/console.hpp"
#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace std::chrono_literals;

namespace {

SpanData sample_span() {
  SpanData span;
  span.context.trace_id = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  span.context.span_id = *SpanId::from_hex("00f067aa0ba902b7");
  span.parent_span_id = *SpanId::from_hex("b7ad6b7169203331");
  span.name = "GET /api/specs/{id}";
  span.kind = SpanKind::server;
  span.start_time = SystemTime(std::chrono::nanoseconds(1'763'800'000'123'456'789));
  span.end_time = span.start_time + 1284us;
  span.attributes = {{"http.request.method", "GET"}, {"http.response.status_code", 200}};
  span.status = {StatusCode::error, "upstream \"down\""};
  span.events.push_back({"retry", span.start_time + 1ms, {{"attempt", 2}}, 0});
  return span;
}

}  // namespace

TEST_CASE("the text form shows time, ids, name, kind, duration, status and attributes") {
  CHECK(format_span_text(sample_span()) ==
        "2025-11-22T08:26:40.123456Z trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7 "
        "parent=b7ad6b7169203331 \"GET /api/specs/{id}\" server 1.284ms "
        "status=error:\"upstream \\\"down\\\"\" {http.request.method=\"GET\", "
        "http.response.status_code=200} events=1");
  SpanData root = sample_span();
  root.parent_span_id = SpanId();
  CHECK_THAT(format_span_text(root), Catch::Contains(" parent=- "));
}

TEST_CASE("the JSON-lines form is one parseable object per span") {
  Resource resource(Attributes{{"service.name", "checkout"}});
  auto object = nlohmann::json::parse(format_span_json(sample_span(), resource));
  CHECK(object["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(object["spanId"] == "00f067aa0ba902b7");
  CHECK(object["parentSpanId"] == "b7ad6b7169203331");
  CHECK(object["name"] == "GET /api/specs/{id}");
  CHECK(object["kind"] == "server");
  CHECK(object["durationNanos"] == 1284000);
  CHECK(object["status"]["code"] == "error");
  CHECK(object["attributes"]["http.response.status_code"] == 200);
  CHECK(object["events"][0]["name"] == "retry");
  CHECK(object["events"][0]["attributes"]["attempt"] == 2);
  CHECK(object["service"] == "checkout");
}

TEST_CASE("the console exporter writes one line per span through the pipeline") {
  std::ostringstream text_out;
  std::ostringstream json_out;
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_console_exporter(ConsoleFormat::text, text_out));
  exporters.push_back(make_console_exporter(ConsoleFormat::json_lines, json_out));
  TracerProvider provider({}, std::move(exporters));
  auto tracer = provider.tracer("test");
  tracer.start_span("one").end();
  tracer.start_span("two").end();
  REQUIRE(provider.shutdown(5s));

  const std::string text = text_out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(std::regex_search(
      text,
      std::regex(
          R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z trace=[0-9a-f]{32} span=[0-9a-f]{16} parent=- "one" internal \d+\.\d{3}ms status=unset \{\}\n)")));
  std::istringstream lines(json_out.str());
  std::string line;
  int parsed = 0;
  while (std::getline(lines, line)) {
    CHECK(nlohmann::json::parse(line)["name"].is_string());
    ++parsed;
  }
  CHECK(parsed == 2);
  CHECK(provider.counters().exporters.at(0).name == "console");
  CHECK(provider.counters().exporters.at(0).exported == 2);
}

TEST_CASE("the in-memory store keeps copies that outlive the provider, bounded") {
  auto store = std::make_shared<InMemorySpanStore>(3);
  {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(make_in_memory_exporter(store));
    TracerProvider provider({}, std::move(exporters));
    auto tracer = provider.tracer("scope-name", "2.0");
    for (int index = 0; index < 5; ++index)
      tracer.start_span("span " + std::to_string(index)).end();
  }
  auto spans = store->spans();
  REQUIRE(spans.size() == 3);
  CHECK(spans[0].data.name == "span 2");
  CHECK(spans[2].data.scope->name == "scope-name");
  CHECK(spans[2].scope.version == "2.0");
  store->clear();
  CHECK(store->size() == 0);
  CHECK_FALSE(store->wait_for(1, 10ms));
}
