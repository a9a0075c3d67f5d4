#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <thread>

#include "support/memory_provider.hpp"
#include "tachi_trace/metrics.hpp"

using namespace tachi_trace;

namespace {

// ---- a small exposition parser, strict about what the formats allow -----------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  std::string value;
  std::string exemplar;  // the text after " # ", empty when none
};

struct Exposition {
  std::vector<std::string> lines;
  std::vector<Sample> samples;
  std::vector<std::string> comments;

  const Sample* find(const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& sample : samples)
      if (sample.name == name && sample.labels == labels) return &sample;
    return nullptr;
  }
  bool has_comment(const std::string& comment) const {
    return std::find(comments.begin(), comments.end(), comment) != comments.end();
  }
};

std::string read_label_value(std::string_view& rest) {
  std::string value;
  REQUIRE(rest.front() == '"');
  rest.remove_prefix(1);
  while (rest.front() != '"') {
    if (rest.front() == '\\') {
      rest.remove_prefix(1);
      REQUIRE((rest.front() == '\\' || rest.front() == '"' || rest.front() == 'n'));
      value += rest.front() == 'n' ? '\n' : rest.front();
    } else {
      value += rest.front();
    }
    rest.remove_prefix(1);
  }
  rest.remove_prefix(1);
  return value;
}

std::map<std::string, std::string> read_labels(std::string_view& rest) {
  std::map<std::string, std::string> labels;
  if (rest.empty() || rest.front() != '{') return labels;
  rest.remove_prefix(1);
  while (rest.front() != '}') {
    const auto equals = rest.find('=');
    std::string name(rest.substr(0, equals));
    rest.remove_prefix(equals + 1);
    labels[name] = read_label_value(rest);
    if (rest.front() == ',') rest.remove_prefix(1);
  }
  rest.remove_prefix(1);
  return labels;
}

Sample parse_sample(std::string_view line) {
  Sample sample;
  const auto name_end = line.find_first_of("{ ");
  sample.name = std::string(line.substr(0, name_end));
  std::string_view rest = line.substr(name_end);
  sample.labels = read_labels(rest);
  REQUIRE(rest.front() == ' ');
  rest.remove_prefix(1);
  const auto exemplar_at = rest.find(" # ");
  sample.value = std::string(rest.substr(0, exemplar_at));
  if (exemplar_at != std::string_view::npos)
    sample.exemplar = std::string(rest.substr(exemplar_at + 3));
  return sample;
}

Exposition parse(const std::string& text) {
  Exposition exposition;
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    REQUIRE_FALSE(line.empty());
    REQUIRE(line.find('\r') == std::string::npos);
    exposition.lines.push_back(line);
    if (line.starts_with("#"))
      exposition.comments.push_back(line);
    else
      exposition.samples.push_back(parse_sample(line));
  }
  return exposition;
}

std::vector<MetricFamily> families_of(const MetricRegistry& registry) {
  return registry.collect();
}

}  // namespace

TEST_CASE("histogram buckets are cumulative, inclusive, and end with +Inf equal to _count") {
  MetricRegistry registry;
  auto family = registry.histogram(
      {.name = "request_duration_seconds", .help = "Time to answer", .unit = "seconds"},
      {0.1, 0.5, 1});
  REQUIRE(family);
  Histogram& histogram = (*family)->unlabelled();
  for (double value : {0.05, 0.1, 0.3, 2.0, std::nan("")})
    histogram.observe(value);

  for (auto format : {ExpositionFormat::prometheus_text, ExpositionFormat::openmetrics_text}) {
    auto text = parse(format_metrics(format, families_of(registry)));
    const std::string name = "request_duration_seconds";
    CHECK(text.has_comment("# TYPE request_duration_seconds histogram"));
    CHECK(text.has_comment("# HELP request_duration_seconds Time to answer"));
    CHECK(text.find(name + "_bucket", {{"le", "0.1"}})->value == "2");
    CHECK(text.find(name + "_bucket", {{"le", "0.5"}})->value == "3");
    CHECK(text.find(name + "_bucket", {{"le", "1.0"}})->value == "3");
    CHECK(text.find(name + "_bucket", {{"le", "+Inf"}})->value == "4");
    CHECK(text.find(name + "_count")->value == "4");
    CHECK(text.find(name + "_sum")->value == "2.45");
    // The buckets come in increasing order, before _sum and _count.
    CHECK(text.samples.at(0).labels.at("le") == "0.1");
    CHECK(text.samples.at(3).labels.at("le") == "+Inf");
    CHECK(text.samples.at(4).name == name + "_sum");
    CHECK(text.samples.at(5).name == name + "_count");
  }
}

TEST_CASE("OpenMetrics bucket lines carry the latest exemplar of a sampled span") {
  testing::MemoryProvider traced;
  MetricRegistry registry;
  auto family = registry.histogram({.name = "work_seconds"}, {0.1, 0.5});
  REQUIRE(family);
  Histogram& histogram = (*family)->unlabelled();

  histogram.observe(0.2);  // outside any span: counted, no exemplar
  auto first = traced.tracer.start_span("first");
  {
    auto scope = first.activate();
    histogram.observe(0.25);
  }
  auto second = traced.tracer.start_span("second");
  const auto before = std::chrono::system_clock::now();
  {
    auto scope = second.activate();
    histogram.observe(0.3);
  }
  const auto after = std::chrono::system_clock::now();

  auto text = parse(format_openmetrics_text(families_of(registry)));
  const Sample* bucket = text.find("work_seconds_bucket", {{"le", "0.5"}});
  REQUIRE(bucket != nullptr);
  CHECK(bucket->value == "3");
  const std::string expected_labels = "{trace_id=\"" + second.context().trace_id.to_hex() +
                                      "\",span_id=\"" + second.context().span_id.to_hex() + "\"}";
  REQUIRE(bucket->exemplar.starts_with(expected_labels + " 0.3 "));
  const double timestamp = std::stod(bucket->exemplar.substr(expected_labels.size() + 5));
  const auto seconds = [](auto time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
  };
  CHECK(timestamp >= seconds(before) - 0.001);
  CHECK(timestamp <= seconds(after) + 0.001);
  CHECK(text.find("work_seconds_bucket", {{"le", "0.1"}})->exemplar.empty());
  CHECK(text.find("work_seconds_bucket", {{"le", "+Inf"}})->exemplar.empty());
  CHECK(text.lines.back() == "# EOF");

  SECTION("Prometheus text has no place for exemplars") {
    auto plain = parse(format_prometheus_text(families_of(registry)));
    CHECK(plain.find("work_seconds_bucket", {{"le", "0.5"}})->exemplar.empty());
    CHECK_FALSE(plain.has_comment("# EOF"));
  }
}

TEST_CASE("exemplars come only from valid, sampled span contexts") {
  testing::MemoryProvider unsampled({.sampler = make_always_off_sampler()});
  MetricRegistry registry;
  auto family = registry.histogram({.name = "work_seconds"}, {1});
  REQUIRE(family);
  Histogram& histogram = (*family)->unlabelled();
  auto span = unsampled.tracer.start_span("not sampled");
  REQUIRE(span.context().is_valid());
  {
    auto scope = span.activate();
    histogram.observe(0.5);
  }
  histogram.observe(0.6, SpanContext{});
  auto point = histogram.snapshot();
  CHECK(point.count == 2);
  CHECK_FALSE(point.buckets.at(0).exemplar.has_value());

  SpanContext explicit_context{generate_trace_id(), generate_span_id(), TraceFlags(1), {}, false};
  histogram.observe(0.7, explicit_context);
  point = histogram.snapshot();
  REQUIRE(point.buckets.at(0).exemplar.has_value());
  CHECK(point.buckets.at(0).exemplar->trace_id == explicit_context.trace_id);
  CHECK(point.buckets.at(0).exemplar->span_id == explicit_context.span_id);
  CHECK(point.buckets.at(0).exemplar->value == 0.7);
}

TEST_CASE("the exemplar filter: always_on takes every observation, always_off none") {
  testing::MemoryProvider unsampled({.sampler = make_always_off_sampler()});
  testing::MemoryProvider sampled;
  auto not_recorded = unsampled.tracer.start_span("not sampled");
  auto recorded = sampled.tracer.start_span("sampled");
  REQUIRE_FALSE(not_recorded.context().is_sampled());
  // Each histogram sees the same three observations, each in a bucket of its own: outside any
  // span, inside an unsampled one, inside a sampled one.
  // Buckets (.., 1], (1, 2], (2, 3], (3, +Inf).
  auto bucketed_histogram = [](MetricRegistry& registry) -> Histogram& {
    auto family = registry.histogram({.name = "work_seconds"}, {1, 2, 3});
    REQUIRE(family);
    return (*family)->unlabelled();
  };
  auto observe_all = [&](Histogram& histogram) {
    histogram.observe(0.5);
    {
      auto scope = not_recorded.activate();
      histogram.observe(1.5);
    }
    {
      auto scope = recorded.activate();
      histogram.observe(2.5);
    }
  };

  SECTION("always_on") {
    MetricRegistry registry(ExemplarFilter::always_on);
    Histogram& histogram = bucketed_histogram(registry);
    CHECK(histogram.exemplar_filter() == ExemplarFilter::always_on);
    observe_all(histogram);
    auto point = histogram.snapshot();
    REQUIRE(point.buckets.at(0).exemplar.has_value());
    CHECK_FALSE(point.buckets.at(0).exemplar->trace_id.is_valid());
    CHECK(point.buckets.at(0).exemplar->value == 0.5);
    REQUIRE(point.buckets.at(1).exemplar.has_value());
    CHECK(point.buckets.at(1).exemplar->span_id == not_recorded.context().span_id);
    REQUIRE(point.buckets.at(2).exemplar.has_value());
    CHECK(point.buckets.at(2).exemplar->span_id == recorded.context().span_id);

    auto text = parse(format_openmetrics_text(families_of(registry)));
    CHECK_THAT(text.find("work_seconds_bucket", {{"le", "1.0"}})->exemplar,
               Catch::StartsWith("{} 0.5 "));
    CHECK_THAT(
        text.find("work_seconds_bucket", {{"le", "2.0"}})->exemplar,
        Catch::StartsWith("{trace_id=\"" + not_recorded.context().trace_id.to_hex() +
                          "\",span_id=\"" + not_recorded.context().span_id.to_hex() + "\"} 1.5 "));
  }
  SECTION("always_off") {
    MetricRegistry registry(ExemplarFilter::always_off);
    Histogram& histogram = bucketed_histogram(registry);
    observe_all(histogram);
    histogram.observe(2.5, recorded.context());
    auto point = histogram.snapshot();
    CHECK(point.count == 4);
    for (const auto& bucket : point.buckets)
      CHECK_FALSE(bucket.exemplar.has_value());
  }
  SECTION("trace_based, the default, takes only the sampled span's") {
    MetricRegistry registry;
    Histogram& histogram = bucketed_histogram(registry);
    CHECK(histogram.exemplar_filter() == ExemplarFilter::trace_based);
    observe_all(histogram);
    auto point = histogram.snapshot();
    CHECK_FALSE(point.buckets.at(0).exemplar.has_value());
    CHECK_FALSE(point.buckets.at(1).exemplar.has_value());
    REQUIRE(point.buckets.at(2).exemplar.has_value());
    CHECK(point.buckets.at(2).exemplar->span_id == recorded.context().span_id);
  }
}

TEST_CASE("counters follow each format's _total rule; gauges have no suffix") {
  MetricRegistry registry;
  auto requests = registry.counter(
      {.name = "http_requests_total", .help = "Requests served", .label_names = {"method"}});
  auto in_flight = registry.gauge({.name = "http_requests_in_flight"});
  REQUIRE(requests);
  REQUIRE(in_flight);
  CHECK((*requests)->options().name == "http_requests");
  (*requests)->with_labels({"GET"}).add(2);
  (*requests)->with_labels({"GET"}).add();
  (*requests)->with_labels({"POST"}).add(-5);  // counters never go down
  (*in_flight)->unlabelled().set(7);
  (*in_flight)->unlabelled().add(-2);

  auto prometheus = parse(format_prometheus_text(families_of(registry)));
  CHECK(prometheus.has_comment("# HELP http_requests_total Requests served"));
  CHECK(prometheus.has_comment("# TYPE http_requests_total counter"));
  CHECK(prometheus.find("http_requests_total", {{"method", "GET"}})->value == "3");
  CHECK(prometheus.find("http_requests_total", {{"method", "POST"}})->value == "0");
  CHECK(prometheus.has_comment("# TYPE http_requests_in_flight gauge"));
  CHECK(prometheus.find("http_requests_in_flight")->value == "5");

  auto openmetrics = parse(format_openmetrics_text(families_of(registry)));
  CHECK(openmetrics.lines.at(0) == "# TYPE http_requests counter");
  CHECK(openmetrics.lines.at(1) == "# HELP http_requests Requests served");
  CHECK(openmetrics.find("http_requests_total", {{"method", "GET"}})->value == "3");
  CHECK(openmetrics.find("http_requests_in_flight")->value == "5");
  CHECK(openmetrics.lines.back() == "# EOF");
}

TEST_CASE("OpenMetrics declares the unit after the type") {
  MetricRegistry registry;
  REQUIRE(registry.gauge({.name = "queue_bytes", .help = "h", .unit = "bytes"}));
  auto text = parse(format_openmetrics_text(families_of(registry)));
  CHECK(text.lines.at(0) == "# TYPE queue_bytes gauge");
  CHECK(text.lines.at(1) == "# UNIT queue_bytes bytes");
  CHECK(text.lines.at(2) == "# HELP queue_bytes h");
  CHECK_FALSE(
      parse(format_prometheus_text(families_of(registry))).has_comment("# UNIT queue_bytes bytes"));
}

TEST_CASE("label values and help text are escaped; invalid UTF-8 is replaced") {
  MetricRegistry registry;
  auto family = registry.counter(
      {.name = "odd", .help = "back\\slash \"quoted\"\nnext", .label_names = {"path"}});
  REQUIRE(family);
  (*family)->with_labels({"a\"b\\c\nd"}).add();
  (*family)->with_labels({"caf\xC3\xA9 \xFF"}).add();

  const std::string openmetrics = format_openmetrics_text(families_of(registry));
  CHECK_THAT(openmetrics, Catch::Contains("odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
  CHECK_THAT(openmetrics, Catch::Contains("# HELP odd back\\\\slash \\\"quoted\\\"\\nnext\n"));
  auto parsed = parse(openmetrics);
  CHECK(parsed.find("odd_total", {{"path", "a\"b\\c\nd"}}) != nullptr);
  CHECK(parsed.find("odd_total", {{"path", "caf\xC3\xA9 \xEF\xBF\xBD"}}) != nullptr);

  // Prometheus 0.0.4 escapes only backslash and newline in HELP.
  CHECK_THAT(format_prometheus_text(families_of(registry)),
             Catch::Contains("# HELP odd_total back\\\\slash \"quoted\"\\nnext\n"));
}

TEST_CASE("le values are OpenMetrics canonical numbers") {
  const std::vector<std::pair<double, std::string>> expected = {
      {0.0, "0.0"},        {0.001, "0.001"},   {0.005, "0.005"},     {0.95, "0.95"},
      {1.0, "1.0"},        {2.5, "2.5"},       {10.0, "10.0"},       {1e-10, "1e-10"},
      {1e-05, "1e-05"},    {0.0001, "0.0001"}, {100000, "100000.0"}, {1e6, "1e+06"},
      {1.1e23, "1.1e+23"}, {-3.0, "-3.0"},
  };
  for (const auto& [value, text] : expected) {
    INFO(text);
    CHECK(format_canonical_number(value) == text);
  }
  CHECK(format_canonical_number(std::numeric_limits<double>::infinity()) == "+Inf");
}

TEST_CASE("the exposition format is chosen from the Accept header") {
  using enum ExpositionFormat;
  // What Prometheus itself sends.
  CHECK(choose_exposition_format(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
            "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == openmetrics_text);
  CHECK(choose_exposition_format("application/openmetrics-text") == openmetrics_text);
  CHECK(choose_exposition_format("Application/OpenMetrics-Text; Version=\"1.0.0\"") ==
        openmetrics_text);
  CHECK(choose_exposition_format("") == prometheus_text);
  CHECK(choose_exposition_format("*/*") == prometheus_text);
  CHECK(choose_exposition_format("text/plain") == prometheus_text);
  CHECK(choose_exposition_format("text/plain, application/openmetrics-text;q=0.5") ==
        prometheus_text);
  CHECK(choose_exposition_format("application/openmetrics-text;version=2.0.0") == prometheus_text);
  CHECK(choose_exposition_format("application/openmetrics-text;q=0") == prometheus_text);
  CHECK(choose_exposition_format("application/openmetrics-text;q=banana") == prometheus_text);
  CHECK(choose_exposition_format(",,;;=") == prometheus_text);
  CHECK(content_type(openmetrics_text) ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(content_type(prometheus_text) == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("registration errors name the problem") {
  MetricRegistry registry;
  auto message = [](const auto& result) {
    REQUIRE_FALSE(result);
    return result.error().message;
  };
  CHECK(message(registry.counter({.name = "9lives"})) ==
        "metric name \"9lives\" must match [a-zA-Z_:][a-zA-Z0-9_:]* and not be empty");
  CHECK(message(registry.gauge({.name = "ok", .label_names = {"__reserved"}})) ==
        "label name \"__reserved\" of metric \"ok\" must match [a-zA-Z_][a-zA-Z0-9_]* and not "
        "start with \"__\"");
  CHECK(message(registry.histogram({.name = "h", .label_names = {"le"}})) ==
        "label name \"le\" is reserved for the buckets of histogram \"h\"");
  CHECK(message(registry.histogram({.name = "h"}, {1, 0.5})) ==
        "bucket bounds of histogram \"h\" must be strictly increasing, but bound 2 (0.5) "
        "follows 1.0");
  CHECK(message(registry.histogram({.name = "h"}, {1, std::numeric_limits<double>::infinity()}))
            .starts_with("bucket bounds of histogram \"h\" must be finite"));
  CHECK(message(registry.gauge({.name = "size", .unit = "bytes"})) ==
        "metric name \"size\" must end with \"_bytes\" since its unit is \"bytes\"");
  REQUIRE(registry.counter({.name = "jobs"}));
  CHECK(message(registry.counter({.name = "jobs_total"})) ==
        "metric \"jobs\" is already registered");
  CHECK(message(registry.gauge({.name = "g", .label_names = {"a", "a"}})) ==
        "label name \"a\" appears twice in metric \"g\"");
  CHECK(registry.collect().size() == 1);
}

TEST_CASE("series past the limit, or with the wrong label count, go to the overflow series") {
  MetricRegistry registry;
  auto family = registry.counter({.name = "hits", .label_names = {"route"}, .series_limit = 2});
  REQUIRE(family);
  Counter& first = (*family)->with_labels({"/a"});
  (*family)->with_labels({"/b"}).add();
  first.add();
  CHECK(&(*family)->with_labels({"/a"}) == &first);
  (*family)->with_labels({"/c"}).add(3);
  (*family)->with_labels({"/d"}).add(4);
  (*family)->with_labels({"/a", "extra"}).add(5);

  auto text = parse(format_prometheus_text(families_of(registry)));
  CHECK(text.find("hits_total", {{"route", "/a"}})->value == "1");
  CHECK(text.find("hits_total", {{"route", "/b"}})->value == "1");
  CHECK(text.find("hits_total", {{"route", "/c"}}) == nullptr);
  CHECK(text.find("hits_total", {{"otel_metric_overflow", "true"}})->value == "12");
  CHECK(text.samples.size() == 3);
}

TEST_CASE("the tracer's counters become metric families with an exporter label") {
  PipelineCounters counters;
  counters.spans_started = 10;
  counters.spans_sampled_out = 3;
  counters.spans_ended = 7;
  counters.spans_dropped_before_export = 1;
  counters.spans_queued = 2;
  counters.exporters = {{"otlp", 5, 2, 1}, {"console", 7, 0, 0}, {"otlp", 6, 1, 0}};
  std::vector<MetricFamily> families;
  append_tracer_metric_families(families, counters);

  auto text = parse(format_openmetrics_text(families));
  CHECK(text.find("tachi_trace_spans_started_total")->value == "10");
  CHECK(text.find("tachi_trace_spans_sampled_out_total")->value == "3");
  CHECK(text.find("tachi_trace_spans_ended_total")->value == "7");
  CHECK(text.find("tachi_trace_spans_dropped_before_export_total")->value == "1");
  CHECK(text.has_comment("# TYPE tachi_trace_spans_queued gauge"));
  CHECK(text.find("tachi_trace_spans_queued")->value == "2");
  CHECK(text.find("tachi_trace_exporter_spans_exported_total", {{"exporter", "otlp"}})->value ==
        "5");
  CHECK(text.find("tachi_trace_exporter_spans_exported_total", {{"exporter", "otlp_2"}})->value ==
        "6");
  CHECK(text.find("tachi_trace_exporter_spans_dropped_total", {{"exporter", "otlp"}})->value ==
        "2");
  CHECK(text.find("tachi_trace_exporter_failed_exports_total", {{"exporter", "otlp"}})->value ==
        "1");
  CHECK(text.find("tachi_trace_exporter_spans_exported_total", {{"exporter", "console"}})->value ==
        "7");
}

TEST_CASE("a real provider's counters after spans were exported") {
  testing::MemoryProvider traced;
  for (int index = 0; index < 3; ++index)
    traced.tracer.start_span("work").end();
  REQUIRE(traced.provider.force_flush());
  std::vector<MetricFamily> families;
  append_tracer_metric_families(families, traced.provider.counters());
  auto text = parse(format_prometheus_text(families));
  CHECK(text.has_comment("# TYPE tachi_trace_spans_started_total counter"));
  CHECK(text.find("tachi_trace_spans_started_total")->value == "3");
  CHECK(text.find("tachi_trace_exporter_spans_exported_total", {{"exporter", "memory"}})->value ==
        "3");
  CHECK(text.find("tachi_trace_exporter_spans_dropped_total", {{"exporter", "memory"}})->value ==
        "0");
}

TEST_CASE("concurrent observations are all counted and every scrape is consistent") {
  MetricRegistry registry;
  auto family =
      registry.histogram({.name = "load_seconds", .label_names = {"worker"}}, {0.5, 1.5, 2.5});
  REQUIRE(family);
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::atomic<bool> done{false};
  bool consistent = true;  // Catch2 assertions are not thread-safe: the scraper only records
  int scrapes = 0;
  std::thread scraper([&] {
    do {
      const auto families = registry.collect();
      for (const auto& point : families.at(0).points) {
        consistent = consistent && point.buckets.back().cumulative_count == point.count;
        for (std::size_t index = 1; index < point.buckets.size(); ++index)
          consistent = consistent && point.buckets[index].cumulative_count >=
                                         point.buckets[index - 1].cumulative_count;
      }
      ++scrapes;
    } while (!done.load());
  });
  testing::MemoryProvider traced;
  std::vector<std::thread> workers;
  for (int worker = 0; worker < threads; ++worker) {
    workers.emplace_back([&, worker] {
      Histogram& shared = (*family)->with_labels({"shared"});
      Histogram& own = (*family)->with_labels({std::to_string(worker)});
      auto span = traced.tracer.start_span("observe");
      auto scope = span.activate();
      for (int index = 0; index < per_thread; ++index) {
        shared.observe(index % 3);
        own.observe(1.0);
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  done = true;
  scraper.join();
  CHECK(consistent);
  CHECK(scrapes > 0);

  auto text = parse(format_openmetrics_text(registry.collect()));
  CHECK(text.find("load_seconds_count", {{"worker", "shared"}})->value ==
        std::to_string(threads * per_thread));
  CHECK(text.find("load_seconds_count", {{"worker", "2"}})->value == std::to_string(per_thread));
  CHECK(text.find("load_seconds_sum", {{"worker", "2"}})->value == std::to_string(per_thread));
  int shared_sum = 0;  // every thread observed 0, 1, 2, 0, 1, ...
  for (int index = 0; index < per_thread; ++index)
    shared_sum += index % 3;
  CHECK(text.find("load_seconds_sum", {{"worker", "shared"}})->value ==
        std::to_string(threads * shared_sum));
  CHECK(text.find("load_seconds_bucket", {{"worker", "shared"}, {"le", "0.5"}})->value ==
        std::to_string(threads * (per_thread / 3 + 1)));
  CHECK_FALSE(
      text.find("load_seconds_bucket", {{"worker", "shared"}, {"le", "1.5"}})->exemplar.empty());
}
