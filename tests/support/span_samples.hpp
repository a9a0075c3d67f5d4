// Hand-made spans with known ids, times and contents, for the exporter tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace::testing {

inline TraceId trace_id_from(std::string_view hex) {
  return *TraceId::from_hex(hex);
}
inline SpanId span_id_from(std::string_view hex) {
  return *SpanId::from_hex(hex);
}

/// Nanoseconds since the Unix epoch as a span time.
inline SystemTime unix_time(std::int64_t nanoseconds) {
  return SystemTime(std::chrono::nanoseconds(nanoseconds));
}

struct SpanSamples {
  InstrumentationScope checkout{"shop.checkout", "1.4.0",
                                "https://opentelemetry.io/schemas/1.21.0"};
  InstrumentationScope database{"shop.db", "", ""};
  Resource resource{
      Attributes{{"service.name", "checkout"}, {"service.version", "1.4.0"}, {"process.pid", 4242}},
      "https://opentelemetry.io/schemas/1.24.0"};

  /// A server span with every field set: a remote parent, trace state, attributes of each type,
  /// two events, a link, an error status and dropped counts.
  SpanData full_span() const {
    SpanData span;
    span.context.trace_id = trace_id_from("4bf92f3577b34da6a3ce929d0e0e4736");
    span.context.span_id = span_id_from("00f067aa0ba902b7");
    span.context.flags = TraceFlags(0x03);  // sampled, random
    span.context.trace_state = *TraceState::parse("vendor=opaque,other=1");
    span.parent_span_id = span_id_from("53995c3f42cd8ad8");
    span.parent_is_remote = true;
    span.name = "GET /api/specs";
    span.kind = SpanKind::server;
    span.start_time = unix_time(1'700'000'000'123'456'789);
    span.end_time = unix_time(1'700'000'000'125'000'000);
    span.attributes = {
        {"http.request.method", "GET"},
        {"http.response.status_code", 503},
        {"retry.ratio", 0.25},
        {"cache.hit", false},
        {"tags", std::vector<std::string>{"a", "b\"c"}},
        {"ports", std::vector<std::int64_t>{80, -1}},
        {"weights", std::vector<double>{1.5, 2}},
        {"flags", std::vector<bool>{true, false}},
        {"negative", std::int64_t{-42}},
    };
    span.events = {
        Event{"cache miss",
              unix_time(1'700'000'000'124'000'500),
              {{"key", "spec:7"}, {"size", 12}},
              1},
        Event{"retry", unix_time(1'700'000'000'124'500'000), {}, 0},
    };
    Link link;
    link.context.trace_id = trace_id_from("0af7651916cd43dd8448eb211c80319c");
    link.context.span_id = span_id_from("b7ad6b7169203331");
    link.context.flags = TraceFlags(0x01);
    link.context.trace_state = *TraceState::parse("congo=t61rcWkgMzE");
    link.context.is_remote = true;
    link.attributes = {{"link.reason", "batch"}};
    link.dropped_attributes_count = 2;
    span.links = {link};
    span.status = Status{StatusCode::error, "backend unavailable"};
    span.dropped_attributes_count = 3;
    span.dropped_events_count = 4;
    span.dropped_links_count = 5;
    span.scope = &checkout;
    return span;
  }

  /// A root span with nothing but its name and times.
  SpanData root_span(std::string name = "root", const InstrumentationScope* scope = nullptr) const {
    SpanData span;
    span.context.trace_id = trace_id_from("11111111111111112222222222222222");
    span.context.span_id = span_id_from("3333333333333333");
    span.context.flags = TraceFlags(0x01);
    span.name = std::move(name);
    span.start_time = unix_time(1'000'000'000);  // one second after the epoch
    span.end_time = unix_time(1'000'002'500);    // 2.5 microseconds later
    span.scope = scope;
    return span;
  }
};

/// A batch over `spans`, due in `timeout`.
inline ExportBatch batch_of(const Resource& resource, const std::vector<const SpanData*>& spans,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return ExportBatch{resource, spans, std::chrono::steady_clock::now() + timeout};
}

}  // namespace tachi_trace::testing
