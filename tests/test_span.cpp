#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/semantic_conventions.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  explicit Fixture(ProviderSettings settings = {}) {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(make_in_memory_exporter(store));
    provider.emplace(std::move(settings), std::move(exporters));
    tracer = provider->tracer("test", "1.0");
  }

  std::vector<StoredSpan> flushed() {
    REQUIRE(provider->force_flush(5000ms));
    return store->spans();
  }

  const StoredSpan& only(const std::vector<StoredSpan>& spans) {
    REQUIRE(spans.size() == 1);
    return spans.front();
  }

  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::optional<TracerProvider> provider;
  Tracer tracer;
};

}  // namespace

TEST_CASE("a root span gets a new trace id, a span id and the sampled and random flags") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("root");
  CHECK(span.context().is_valid());
  CHECK(span.context().flags.sampled());
  CHECK(span.context().flags.random());
  CHECK(span.is_recording());
  span.end();
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  CHECK(data.name == "root");
  CHECK_FALSE(data.has_parent());
  CHECK(data.context.trace_id == span.context().trace_id);
  CHECK(data.context.span_id == span.context().span_id);
  CHECK(fixture.only(spans).scope.name == "test");
  CHECK(fixture.only(spans).scope.version == "1.0");
}

TEST_CASE("a child span shares the trace id and names its parent") {
  Fixture fixture;
  auto parent = fixture.tracer.start_span("parent");
  auto explicit_child = fixture.tracer.start_span("explicit", {.parent = Context(parent)});
  Span current_child;
  {
    auto scope = parent.activate();
    current_child = fixture.tracer.start_span("implicit");
  }
  auto root_again = fixture.tracer.start_span("new root", {.parent = Context()});
  for (auto* child : {&explicit_child, &current_child}) {
    CHECK(child->context().trace_id == parent.context().trace_id);
    CHECK(child->context().span_id != parent.context().span_id);
    CHECK(child->data()->parent_span_id == parent.context().span_id);
    CHECK_FALSE(child->data()->parent_is_remote);
  }
  CHECK(root_again.context().trace_id != parent.context().trace_id);
  CHECK_FALSE(root_again.data()->has_parent());
}

TEST_CASE("a span started with only a kind has that kind and the current span as parent") {
  Fixture fixture;
  auto parent = fixture.tracer.start_span("parent");
  auto scope = parent.activate();
  for (SpanKind kind : {SpanKind::internal, SpanKind::server, SpanKind::client, SpanKind::producer,
                        SpanKind::consumer}) {
    auto span = fixture.tracer.start_span(to_string(kind), kind);
    REQUIRE(span.data()->kind == kind);
    CHECK(span.data()->name == to_string(kind));
    CHECK(span.data()->parent_span_id == parent.context().span_id);
    CHECK(span.context().trace_id == parent.context().trace_id);
    CHECK(span.data()->attributes.empty());
    CHECK(span.data()->links.empty());
  }
  // A value outside the enumeration still starts a span (with the default options).
  auto odd = fixture.tracer.start_span("odd", static_cast<SpanKind>(9));
  CHECK(odd.data()->parent_span_id == parent.context().span_id);
}

TEST_CASE("a remote parent is recorded as remote") {
  Fixture fixture;
  SpanContext remote{*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                     *SpanId::from_hex("00f067aa0ba902b7"),
                     TraceFlags(0x01),
                     {},
                     true};
  auto span = fixture.tracer.start_span(
      "server", {.kind = SpanKind::server, .parent = Context(Span::non_recording(remote))});
  CHECK(span.context().trace_id == remote.trace_id);
  CHECK_FALSE(span.context().flags.random());  // inherited from the parent
  CHECK(span.data()->parent_span_id == remote.span_id);
  CHECK(span.data()->parent_is_remote);
  CHECK(span.data()->kind == SpanKind::server);
}

TEST_CASE("attributes of every type are recorded; a repeated key replaces the value") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("s", {.attributes = {{"start", "yes"}}});
  span.set_attribute("string", "text")
      .set_attribute("bool", true)
      .set_attribute("int", 42)
      .set_attribute("double", 2.5)
      .set_attribute("strings", std::vector<std::string>{"a", "b"})
      .set_attribute("bools", std::vector<bool>{true})
      .set_attribute("ints", std::vector<std::int64_t>{1, 2})
      .set_attribute("doubles", std::vector<double>{0.5})
      .set_attribute("int", 43);
  span.end();
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  CHECK(data.attributes.size() == 9);
  CHECK(*data.find_attribute("start") == AttributeValue("yes"));
  CHECK(*data.find_attribute("int") == AttributeValue(43));
  CHECK(*data.find_attribute("double") == AttributeValue(2.5));
  CHECK(*data.find_attribute("bool") == AttributeValue(true));
  CHECK(*data.find_attribute("strings") == AttributeValue(std::vector<std::string>{"a", "b"}));
}

TEST_CASE("events keep their name, attributes and time") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("s");
  const SystemTime stamp{std::chrono::nanoseconds(1'700'000'000'000'000'000)};
  span.add_event("cache miss", {{"key", "spec:1"}}, stamp);
  span.add_event("now");
  span.end();
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  REQUIRE(data.events.size() == 2);
  CHECK(data.events[0].name == "cache miss");
  CHECK(data.events[0].time == stamp);
  CHECK(data.events[0].attributes == Attributes{{"key", "spec:1"}});
  CHECK(data.events[1].time >= data.start_time);
}

TEST_CASE("links are recorded at start and later; invalid contexts are ignored") {
  Fixture fixture;
  auto other = fixture.tracer.start_span("other", {.parent = Context()});
  auto span =
      fixture.tracer.start_span("s", {.links = {Link{other.context(), {{"reason", "batch"}}, 0}}});
  span.add_link(other.context());
  span.add_link(SpanContext{});
  REQUIRE(span.data()->links.size() == 2);
  CHECK(span.data()->links[0].context.span_id == other.context().span_id);
  CHECK(span.data()->links[0].attributes == Attributes{{"reason", "batch"}});
}

TEST_CASE("status: Ok is final, Unset changes nothing, descriptions only for Error") {
  Fixture fixture;
  auto failed = fixture.tracer.start_span("failed");
  failed.set_status(StatusCode::error, "boom");
  failed.set_status(StatusCode::unset);
  CHECK(failed.data()->status == Status{StatusCode::error, "boom"});
  failed.set_status(StatusCode::ok, "ignored description");
  CHECK(failed.data()->status == Status{StatusCode::ok, ""});
  failed.set_status(StatusCode::error, "too late");
  CHECK(failed.data()->status.code == StatusCode::ok);
}

TEST_CASE("recorded exceptions become an exception event with type and message") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("s");
  try {
    throw std::out_of_range("index 7");
  } catch (const std::exception& error) {
    span.record_exception(error);
  }
  span.record_exception(std::make_exception_ptr(std::runtime_error("second")));
  REQUIRE(span.data()->events.size() == 2);
  const Event& event = span.data()->events[0];
  CHECK(event.name == "exception");
  CHECK(event.attributes ==
        Attributes{{"exception.type", "std::out_of_range"}, {"exception.message", "index 7"}});
  CHECK(span.data()->events[1].attributes[0].value == AttributeValue("std::runtime_error"));
  CHECK(span.data()->status.code == StatusCode::unset);  // left to the caller
}

TEST_CASE("update_name renames the span") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("GET");
  span.update_name("GET /api/specs/{id}");
  CHECK(span.data()->name == "GET /api/specs/{id}");
}

TEST_CASE("end is idempotent; nothing changes after it") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("s");
  const SystemTime end_time = span.data()->start_time + 5ms;
  span.end(end_time);
  span.end(end_time + 1s);
  span.set_attribute("late", 1).add_event("late").set_status(StatusCode::error).update_name("x");
  CHECK_FALSE(span.is_recording());
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  CHECK(data.end_time == end_time);
  CHECK(data.duration() == 5ms);
  CHECK(data.attributes.empty());
  CHECK(data.events.empty());
  CHECK(data.name == "s");
  CHECK(data.status.code == StatusCode::unset);
}

TEST_CASE("a span is ended when its handle is destroyed, and measured on the monotonic clock") {
  Fixture fixture;
  {
    auto span = fixture.tracer.start_span("scoped");
    std::this_thread::sleep_for(2ms);
  }
  auto spans = fixture.flushed();
  CHECK(fixture.only(spans).data.duration() >= 2ms);
  CHECK(fixture.only(spans).data.duration() < 2s);
}

TEST_CASE("an explicit start time is kept") {
  Fixture fixture;
  const SystemTime start{std::chrono::nanoseconds(1'600'000'000'123'456'789)};
  auto span = fixture.tracer.start_span("old", {.start_time = start});
  span.end(start + 1ms);
  CHECK(span.data()->start_time == start);
  CHECK(span.data()->duration() == 1ms);
}

TEST_CASE("moving a span transfers it; assigning over a span ends the old one") {
  Fixture fixture;
  Span first = fixture.tracer.start_span("first");
  Span moved = std::move(first);
  CHECK(moved.is_recording());
  moved = fixture.tracer.start_span("second");
  auto spans = fixture.flushed();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].data.name == "first");
}

TEST_CASE("a SpanRef outlives the span's end safely and does not end it") {
  Fixture fixture;
  SpanRef reference;
  {
    auto span = fixture.tracer.start_span("s");
    reference = span;
    { SpanRef copy = reference; }
    CHECK(span.is_recording());
  }
  CHECK_FALSE(reference.is_recording());
  reference.set_attribute("after", 1);  // ignored, no crash
  CHECK(fixture.flushed().size() == 1);
}

TEST_CASE("a record still held after its export is reused only once its last holder lets go") {
  Fixture fixture;
  SpanRef kept;
  // Held in the middle of its batch, so that reuse meets it among records free to reuse.
  for (int index = 0; index < 9; ++index) {
    auto span = fixture.tracer.start_span(index == 4 ? "kept" : "first");
    span.set_attribute("order", index == 4 ? 1 : 0);
    if (index == 4) kept = span;
  }
  REQUIRE(fixture.flushed().size() == 9);  // exported: the records are handed back for reuse
  // Enough spans to take every record handed back, each flushed so records keep cycling.
  for (int round = 0; round < 3; ++round) {
    for (int index = 0; index < 50; ++index)
      fixture.tracer.start_span("later").set_attribute("order", 2);
    REQUIRE(fixture.provider->force_flush(5000ms));
  }
  REQUIRE(kept.data() != nullptr);
  CHECK(kept.data()->name == "kept");
  CHECK(kept.data()->attributes == Attributes{{"order", 1}});
  CHECK_FALSE(kept.is_recording());
  kept = SpanRef();  // the last reference: the record is freed (AddressSanitizer checks how)
  for (int index = 0; index < 50; ++index)
    fixture.tracer.start_span("last").set_attribute("order", 3);
  auto spans = fixture.flushed();
  REQUIRE(spans.size() == 9 + 150 + 50);
  for (const auto& stored : spans) {
    const std::string& name = stored.data.name;
    const int order = name == "first" ? 0 : name == "kept" ? 1 : name == "later" ? 2 : 3;
    CHECK(stored.data.attributes == Attributes{{"order", order}});
  }
}

TEST_CASE("an attribute replaces only the one with exactly its key, at every key length") {
  Fixture fixture;
  // Keys of one length that differ in a single byte, at every position, for lengths on both sides
  // of each comparison width (1-3, 4-7, 8-16 and longer); spans reuse records across rounds.
  for (int round = 0; round < 2; ++round) {
    for (std::size_t length = 1; length <= 20; ++length) {
      auto span = fixture.tracer.start_span("keys " + std::to_string(length));
      const std::string base(length, 'k');
      for (std::size_t position = 0; position < length; ++position) {
        std::string key = base;
        key[position] = 'x';
        span.set_attribute(key, static_cast<std::int64_t>(position));
      }
      span.set_attribute(base, "base");
      span.set_attribute(base, "base again");  // replaces
      std::string last = base;
      last[length - 1] = 'x';
      span.set_attribute(last, "last again");  // replaces
    }
    REQUIRE(fixture.provider->force_flush(5000ms));
  }
  auto spans = fixture.store->spans();
  REQUIRE(spans.size() == 40);
  for (const auto& stored : spans) {
    const std::size_t length = std::stoul(stored.data.name.substr(5));
    INFO("key length " << length);
    Attributes expected;
    const std::string base(length, 'k');
    for (std::size_t position = 0; position < length; ++position) {
      std::string key = base;
      key[position] = 'x';
      if (position == length - 1)
        expected.push_back({key, "last again"});
      else
        expected.push_back({key, static_cast<std::int64_t>(position)});
    }
    expected.push_back({base, "base again"});
    CHECK(stored.data.attributes == expected);
  }
}

TEST_CASE("span limits drop and count what is over them") {
  ProviderSettings settings;
  settings.limits = SpanLimits{.attribute_count = 2,
                               .event_count = 1,
                               .link_count = 1,
                               .attributes_per_event = 1,
                               .attributes_per_link = 1,
                               .attribute_value_length = 3};
  Fixture fixture(settings);
  auto other = fixture.tracer.start_span("other");
  auto span = fixture.tracer.start_span("s");
  span.set_attribute("a", "abcdef")
      .set_attribute("b", 1)
      .set_attribute("c", 2)
      .set_attribute("d", 3);
  span.add_event("e1", {{"x", 1}, {"y", 2}}).add_event("e2");
  span.add_link(other.context(), {{"x", 1}, {"y", 2}}).add_link(other.context());
  const SpanData& data = *span.data();
  CHECK(data.attributes.size() == 2);
  CHECK(*data.find_attribute("a") == AttributeValue("abc"));
  CHECK(data.dropped_attributes_count == 2);
  CHECK(data.events.size() == 1);
  CHECK(data.dropped_events_count == 1);
  CHECK(data.events[0].dropped_attributes_count == 1);
  CHECK(data.links.size() == 1);
  CHECK(data.dropped_links_count == 1);
  CHECK(data.links[0].dropped_attributes_count == 1);
}

TEST_CASE("a span of a tracer without provider propagates its parent and records nothing") {
  Tracer tracer;
  auto span = tracer.start_span("nothing");
  CHECK_FALSE(span.is_recording());
  CHECK_FALSE(span.context().is_valid());
  SpanContext remote{generate_trace_id(), generate_span_id(), TraceFlags(1), {}, true};
  auto child = tracer.start_span("child", {.parent = Context(Span::non_recording(remote))});
  CHECK(child.context().span_id == remote.span_id);
}

TEST_CASE("a span may be changed from several threads at once") {
  Fixture fixture;
  auto span = fixture.tracer.start_span("shared");
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&, thread] {
      for (int index = 0; index < 200; ++index) {
        span.set_attribute("t" + std::to_string(thread) + "." + std::to_string(index % 20), index);
        span.add_event("e");
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  span.end();
  auto spans = fixture.flushed();
  CHECK(fixture.only(spans).data.attributes.size() == 80);
  CHECK(fixture.only(spans).data.events.size() == 128);
  CHECK(fixture.only(spans).data.dropped_events_count == 800 - 128);
}

TEST_CASE("a span's end sees what another thread set through a reference it has let go") {
  Fixture fixture;
  std::optional<Span> span(fixture.tracer.start_span("handed over"));
  std::atomic<bool> let_go{false};
  std::thread other([reference = SpanRef(*span), &let_go]() mutable {
    for (int index = 0; index < 50; ++index)
      reference.set_attribute("k" + std::to_string(index), index);
    reference = SpanRef();
    // Relaxed: the only ordering between these writes and the end is the reference count's, which
    // ThreadSanitizer checks.
    let_go.store(true, std::memory_order_relaxed);
  });
  while (!let_go.load(std::memory_order_relaxed))
    std::this_thread::yield();
  span.reset();                    // the last reference: the span ends without taking its lock
  auto spans = fixture.flushed();  // before the join, which would order everything by itself
  other.join();
  const auto& data = fixture.only(spans).data;
  REQUIRE(data.attributes.size() == 50);
  CHECK(data.attributes[49].key == "k49");
  CHECK(*data.attributes[49].value.get_if<std::int64_t>() == 49);
  CHECK(data.end_time >= data.start_time);
}

TEST_CASE(
    "a span destroyed while other threads change it ends once, and later changes are ignored") {
  Fixture fixture;
  std::optional<Span> span(fixture.tracer.start_span("contended"));
  std::atomic<int> running{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 3; ++thread) {
    threads.emplace_back([reference = SpanRef(*span), &running, thread] {
      running.fetch_add(1);
      for (int index = 0; reference.is_recording(); ++index)
        reference.set_attribute("t" + std::to_string(thread), index);
      reference.set_attribute("after.end", thread);  // ignored: the span has ended
    });
  }
  while (running.load() < 3)
    std::this_thread::yield();
  span.reset();  // other references remain: the end takes the lock
  for (auto& thread : threads)
    thread.join();
  auto spans = fixture.flushed();
  const auto& data = fixture.only(spans).data;
  CHECK(data.attributes.size() <= 3);
  CHECK(data.find_attribute("after.end") == nullptr);
  CHECK(fixture.provider->counters().spans_ended == 1);
}

TEST_CASE("a span reuses a record that last held a span of its own kind") {
  Fixture fixture;
  // Spans of one kind set the same attributes: a record of the same kind has them in place.
  const SpanData* server_record = nullptr;
  const SpanData* client_record = nullptr;
  {
    auto server = fixture.tracer.start_span("GET", SpanKind::server);
    server.set_attribute("http.request.method", "GET");
    server_record = server.data();
  }
  {
    auto client = fixture.tracer.start_span("db.select", SpanKind::client);
    client.set_attribute("db.system.name", "sqlite");
    client_record = client.data();
  }
  REQUIRE(server_record != client_record);
  REQUIRE(fixture.provider->force_flush(5000ms));  // both records go back for reuse

  {
    // The client record went back last, so a single stack of records would hand it out first.
    auto server = fixture.tracer.start_span("GET", SpanKind::server);
    CHECK(server.data() == server_record);
    auto client = fixture.tracer.start_span("db.select", SpanKind::client);
    CHECK(client.data() == client_record);
  }
  REQUIRE(fixture.provider->force_flush(5000ms));
  // With no record of its kind left, a span takes one of another kind rather than a new one.
  auto producer = fixture.tracer.start_span("send", SpanKind::producer);
  CHECK((producer.data() == server_record || producer.data() == client_record));
  producer.set_attribute("messaging.system", "kafka");
  producer.end();
  auto spans = fixture.flushed();
  REQUIRE(spans.size() == 5);
  CHECK(spans.back().data.attributes == Attributes{{"messaging.system", "kafka"}});
}

TEST_CASE("recycled span records carry only their own span's data") {
  Fixture fixture;
  // Shapes that differ in count, order and type, so a reused record meets stale elements of every
  // kind at every position.
  auto annotate = [](const Span& span, int shape) {
    // Keys set as text in one shape and by reference in another: an element changes between the
    // two forms when a record is reused.
    if (shape == 1) span.set_attribute(semconv::http_request_method, "GET");
    if (shape == 2) {
      span.set_attribute(semconv::db_collection_name, 12);
      span.set_attribute("http.request.method", 2.5);
      span.set_status(StatusCode::error, "the query failed");
      span.add_event("retried");
    }
    if (shape == 3) {
      span.set_attribute("flag", true);
      span.set_attribute("db.collection.name", "specs-with-a-long-collection-name");
      span.set_attribute("list", std::vector<std::int64_t>{1, 2});
      span.add_link(span.context());
    }
  };
  // Records are kept for reuse by the kind of span they last held; the kinds change from round to
  // round, so records also serve spans of another kind than their last.
  auto kind_of = [](int round, int index) {
    return round % 2 == 0 ? static_cast<SpanKind>(index % 5) : SpanKind::server;
  };
  for (int round = 0; round < 4; ++round) {
    for (int index = 0; index < 200; ++index) {
      auto span = fixture.tracer.start_span(
          "s" + std::to_string(index % 4) + std::to_string(static_cast<int>(kind_of(round, index))),
          kind_of(round, index));
      annotate(span, index % 4);
    }
    REQUIRE(fixture.provider->force_flush(5000ms));  // records go back for reuse
  }
  auto spans = fixture.store->spans();
  REQUIRE(spans.size() == 800);
  for (const auto& stored : spans) {
    const SpanData& data = stored.data;
    const int shape = data.name[1] - '0';
    REQUIRE(data.kind == static_cast<SpanKind>(data.name[2] - '0'));
    REQUIRE_FALSE(data.has_parent());
    REQUIRE(data.status == (shape == 2 ? Status{StatusCode::error, "the query failed"} : Status{}));
    REQUIRE(data.events.size() == (shape == 2 ? 1u : 0u));
    REQUIRE(data.links.size() == (shape == 3 ? 1u : 0u));
    REQUIRE(data.dropped_attributes_count == 0);
    if (shape == 0) REQUIRE(data.attributes.empty());
    if (shape == 1) REQUIRE(data.attributes == Attributes{{"http.request.method", "GET"}});
    if (shape == 2)
      REQUIRE(data.attributes ==
              Attributes{{"db.collection.name", 12}, {"http.request.method", 2.5}});
    if (shape == 3)
      REQUIRE(data.attributes ==
              Attributes{{"flag", true},
                         {"db.collection.name", "specs-with-a-long-collection-name"},
                         {"list", std::vector<std::int64_t>{1, 2}}});
  }
}

TEST_CASE("a key known at compile time is held by reference and matches the same key as text") {
  Fixture fixture;
  constexpr ConstantKey custom{"order.line.item.count"};
  {
    auto span = fixture.tracer.start_span("checkout");
    span.set_attribute(semconv::http_route, "/cart");
    span.set_attribute("http.route", "/cart/{id}");  // replaces, as text of the same key
    span.set_attribute("order.line.item.count", 2);
    span.set_attribute(custom, 3);  // replaces the text key of the same name
    span.set_attribute(semconv::error_type, AttributeValue(std::vector<std::int64_t>{1, 2}));
    span.add_event("paid", {{semconv::exception_type, "none"}, {"plain.event.key", 1}});
    span.set_attributes({{semconv::url_path, "/cart/7"}});
    const AttributeList& set = span.data()->attributes;
    REQUIRE(set.size() == 4);
    CHECK(set[0].key.refers_to(semconv::http_route));  // the first form stays
    CHECK_FALSE(set[1].key.refers_to(custom));
    CHECK(set[2].key.refers_to(semconv::error_type));
    CHECK(set[3].key.refers_to(semconv::url_path));  // through set_attributes too
    REQUIRE(span.data()->events.size() == 1);
    CHECK(span.data()->events[0].attributes[0].key.refers_to(semconv::exception_type));
    CHECK_FALSE(span.data()->events[0].attributes[1].key.constant());
  }
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  CHECK(data.attributes == Attributes{{"http.route", "/cart/{id}"},
                                      {"order.line.item.count", 3},
                                      {"error.type", std::vector<std::int64_t>{1, 2}},
                                      {"url.path", "/cart/7"}});
  CHECK(data.attributes[0].key.data() == semconv::http_route.text().data());  // not copied
  CHECK(data.events[0].attributes ==
        Attributes{{"exception.type", "none"}, {"plain.event.key", 1}});
}

TEST_CASE("a key held by reference counts against the attribute limit like any other") {
  ProviderSettings settings;
  settings.limits.attribute_count = 1;
  Fixture fixture(settings);
  {
    auto span = fixture.tracer.start_span("limited");
    span.set_attribute(semconv::http_route, "/a");
    span.set_attribute(semconv::url_path, "/a/1");
    span.set_attribute(semconv::http_route, "/b");
  }
  auto spans = fixture.flushed();
  const SpanData& data = fixture.only(spans).data;
  CHECK(data.attributes == Attributes{{"http.route", "/b"}});
  CHECK(data.dropped_attributes_count == 1);
}
