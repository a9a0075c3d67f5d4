// The traced awaitables: names, attributes, parents, results, errors and cancellation.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "support/asio_support.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/traced.hpp"

using namespace tachi_trace;
using tachi_trace::testing::exported;
using tachi_trace::testing::MemoryProvider;
using tachi_trace::testing::only_span_named;
using tachi_trace::testing::run_task;
using tachi_trace::testing::sleep_for;
using tachi_trace::testing::string_attribute;
namespace net = boost::asio;

namespace {

template <typename Value>
net::awaitable<Value> ready(Value value) {
  co_return value;
}

net::awaitable<void> ready_void() {
  co_return;
}

/// The global provider for one test, reset afterwards.
struct GlobalProvider {
  explicit GlobalProvider(const MemoryProvider& memory) {
    set_global_tracer_provider(memory.provider);
  }
  ~GlobalProvider() { reset_global_tracer_provider(); }
};

struct CustomError : std::runtime_error {
  CustomError(std::string message, int code) : std::runtime_error(message), code(code) {}
  int code;
};

const Event* find_event(const SpanData& span, std::string_view name) {
  for (const auto& event : span.events)
    if (event.name == name) return &event;
  return nullptr;
}

std::string event_attribute(const Event& event, std::string_view key) {
  for (const auto& attribute : event.attributes)
    if (attribute.key == key) return attribute.value.to_string();
  return "<missing>";
}

}  // namespace

TEST_CASE("traced_query makes a CLIENT span db.<operation> with old and current attribute names") {
  MemoryProvider memory;
  net::io_context io;
  auto parent = memory.tracer.start_span("handler");
  auto scope = parent.activate();
  int rows = run_task(io, [&]() -> net::awaitable<int> {
    co_return co_await traced_query("select", "specs", ready(3),
                                    {.system = "sqlite", .tracer = &memory.tracer});
  }());
  CHECK(rows == 3);
  auto spans = exported(memory);
  const SpanData& query = only_span_named(spans, "db.select");
  CHECK(query.kind == SpanKind::client);
  CHECK(query.parent_span_id == parent.context().span_id);
  CHECK(query.context.trace_id == parent.context().trace_id);
  CHECK(string_attribute(query, "db.system") == "sqlite");
  CHECK(string_attribute(query, "db.operation") == "select");
  CHECK(string_attribute(query, "db.table") == "specs");
  CHECK(string_attribute(query, "db.system.name") == "sqlite");
  CHECK(string_attribute(query, "db.operation.name") == "select");
  CHECK(string_attribute(query, "db.collection.name") == "specs");
  CHECK(query.status.code == StatusCode::unset);
  CHECK(query.end_time >= query.start_time);
}

TEST_CASE("traced_query defaults db.system to other_sql") {
  MemoryProvider memory;
  GlobalProvider global(memory);
  net::io_context io;
  run_task(io, traced_query("insert", "runs", ready_void()));
  auto spans = exported(memory);
  CHECK(string_attribute(only_span_named(spans, "db.insert"), "db.system") == "other_sql");
}

TEST_CASE("traced_backend_call and traced_execution name and annotate their spans") {
  MemoryProvider memory;
  net::io_context io;
  std::string reply = run_task(io, [&]() -> net::awaitable<std::string> {
    co_return co_await traced_execution(42, "openai", "gpt-4o-mini",
                                        traced_backend_call(
                                            "openai", "chat",
                                            [&]() -> net::awaitable<std::string> {
                                              co_await sleep_for(std::chrono::milliseconds(5));
                                              co_return "hello";
                                            }(),
                                            memory.tracer),
                                        memory.tracer);
  }());
  CHECK(reply == "hello");
  auto spans = exported(memory);
  const SpanData& execution = only_span_named(spans, "llm.execution");
  const SpanData& backend = only_span_named(spans, "backend.openai.chat");
  CHECK(execution.kind == SpanKind::client);
  CHECK(backend.kind == SpanKind::client);
  CHECK(backend.parent_span_id == execution.context.span_id);  // nested calls compose
  CHECK(*execution.find_attribute("spec.id") == AttributeValue(42));
  CHECK(string_attribute(execution, "llm.backend") == "openai");
  CHECK(string_attribute(execution, "llm.model") == "gpt-4o-mini");
  CHECK(string_attribute(execution, "gen_ai.system") == "openai");
  CHECK(string_attribute(execution, "gen_ai.request.model") == "gpt-4o-mini");
  const double* duration = execution.find_attribute("llm.duration_ms")->get_if<double>();
  REQUIRE(duration != nullptr);
  CHECK(*duration >= 5.0);  // it covered the 5 ms wait
  CHECK(string_attribute(backend, "backend.name") == "openai");
  CHECK(string_attribute(backend, "backend.operation") == "chat");
}

TEST_CASE("traced_execution takes a string spec id, and long names are kept whole") {
  MemoryProvider memory;
  net::io_context io;
  std::string long_table(300, 't');
  std::string long_model(100, 'm');
  run_task(io, [&]() -> net::awaitable<void> {
    co_await traced_execution(std::string("spec-7"), "local", long_model, ready_void(),
                              memory.tracer);
    co_await traced_query(std::string(200, 'o'), long_table, ready_void(),
                          {.tracer = &memory.tracer});
  }());
  auto spans = exported(memory);
  const SpanData& execution = only_span_named(spans, "llm.execution");
  CHECK(string_attribute(execution, "spec.id") == "spec-7");
  CHECK(string_attribute(execution, "llm.model") == long_model);
  const SpanData& query = only_span_named(spans, "db." + std::string(200, 'o'));
  CHECK(string_attribute(query, "db.table") == long_table);
}

TEST_CASE("the strings a traced awaitable was given may die before it is awaited") {
  MemoryProvider memory;
  net::io_context io;
  run_task(io, [&]() -> net::awaitable<void> {
    net::awaitable<int> pending = [&] {
      std::string table = "table_whose_name_is_long_enough_to_leave_small_string_storage";
      std::string operation = "select";
      return traced_query(operation, table, ready(1), {.tracer = &memory.tracer});
    }();
    co_await std::move(pending);
  }());
  auto spans = exported(memory);
  CHECK(string_attribute(only_span_named(spans, "db.select"), "db.table") ==
        "table_whose_name_is_long_enough_to_leave_small_string_storage");
}

TEST_CASE("a traced span's name is kept whole at every length, after the given string dies") {
  MemoryProvider memory;
  net::io_context io;
  // Lengths on both sides of each way the name is copied into the frame: empty, 1-3, 4-7, 8-16,
  // up to the 64 bytes kept inline, and beyond.
  run_task(io, [&]() -> net::awaitable<void> {
    for (std::size_t length = 0; length <= 70; ++length) {
      net::awaitable<int> pending = [&] {
        std::string name;
        for (std::size_t index = 0; index < length; ++index)
          name.push_back(static_cast<char>('a' + (index * 7 + length) % 26));
        return traced(name, SpanKind::internal, ready(1), {}, memory.tracer);
      }();
      const int value = co_await std::move(pending);
      CHECK(value == 1);
    }
  }());
  auto spans = exported(memory);
  REQUIRE(spans.size() == 71);
  std::set<std::string> names;
  for (const auto& stored : spans)
    names.insert(stored.data.name);
  for (std::size_t length = 0; length <= 70; ++length) {
    std::string expected;
    for (std::size_t index = 0; index < length; ++index)
      expected.push_back(static_cast<char>('a' + (index * 7 + length) % 26));
    CHECK(names.count(expected) == 1);
  }
}

TEST_CASE("traced passes results through unchanged: values, move-only values, void") {
  MemoryProvider memory;
  net::io_context io;
  std::unique_ptr<std::string> owned;
  std::vector<int> values;
  run_task(io, [&]() -> net::awaitable<void> {
    // GCC 12 cannot keep a string literal or braced list alive across co_await in one
    // expression ("array used as initializer"): build such values first.
    auto made = std::make_unique<std::string>("moved");
    std::vector<int> listed{1, 2, 3};
    owned = co_await traced("make", SpanKind::internal, ready(std::move(made)), {}, memory.tracer);
    values =
        co_await traced("values", SpanKind::internal, ready(std::move(listed)), {}, memory.tracer);
    co_await traced("nothing", SpanKind::internal, ready_void(), {}, memory.tracer);
  }());
  REQUIRE(owned != nullptr);
  CHECK(*owned == "moved");
  CHECK(values == std::vector<int>{1, 2, 3});
  auto spans = exported(memory);
  CHECK(spans.size() == 3);
}

TEST_CASE("traced gives its attributes to the span and makes its span current inside") {
  MemoryProvider memory;
  net::io_context io;
  SpanId inner_parent;
  SpanId current_inside;
  SpanId current_after{generate_span_id()};
  run_task(io, [&]() -> net::awaitable<void> {
    Attributes attributes{{"route", "/api/specs"}, {"attempt", 2}};
    co_await traced(
        "outer", SpanKind::server,
        [&]() -> net::awaitable<void> {
          current_inside = current_span_id();
          co_await sleep_for(std::chrono::milliseconds(1));
          auto inner = memory.tracer.start_span("inner");
          inner_parent = inner.data()->parent_span_id;
        }(),
        std::move(attributes), memory.tracer);
    current_after = current_span_id();
  }());
  CHECK_FALSE(current_after.is_valid());  // restored once the awaitable completed
  auto spans = exported(memory);
  const SpanData& outer = only_span_named(spans, "outer");
  CHECK(outer.kind == SpanKind::server);
  CHECK(string_attribute(outer, "route") == "/api/specs");
  CHECK(*outer.find_attribute("attempt") == AttributeValue(2));
  CHECK(current_inside == outer.context.span_id);
  CHECK(inner_parent == outer.context.span_id);
}

TEST_CASE("contexts taken from inside a traced awaitable outlive it, holding its span") {
  // Whatever takes the context out of the slot holds the span by a reference of its own: it stays
  // valid once the awaitable's frame and span handle are gone.
  MemoryProvider memory;
  net::io_context io;
  std::optional<Context> copied;
  std::optional<Context> exchanged;
  SpanRef current;
  run_task(io, [&]() -> net::awaitable<void> {
    co_await traced(
        "outer", SpanKind::internal,
        [&]() -> net::awaitable<void> {
          co_await sleep_for(std::chrono::milliseconds(1));
          copied = current_context();
          current = current_span();
          Context moved_copy = current_context();
          exchanged = active_slot().exchange(std::move(moved_copy));
        }(),
        {}, memory.tracer);
  }());
  // The awaitable's frame and its span handle are gone; the three references are not.
  auto spans = exported(memory);
  const SpanData& outer = only_span_named(spans, "outer");
  REQUIRE(copied);
  REQUIRE(exchanged);
  const std::vector<const SpanRef*> holders{&copied->span(), &exchanged->span(), &current};
  for (const SpanRef* held : holders) {
    CHECK(held->context().span_id == outer.context.span_id);
    CHECK_FALSE(held->is_recording());  // it ended with the awaitable
    held->set_attribute("late", 1);     // ignored (AddressSanitizer checks the record is alive)
  }
  CHECK(copied->span() == exchanged->span());
}

TEST_CASE("an exception marks the span Error, records it and propagates unchanged") {
  MemoryProvider memory;
  net::io_context io;
  int caught_code = 0;
  std::string caught_message;
  run_task(io, [&]() -> net::awaitable<void> {
    try {
      co_await traced_backend_call(
          "billing", "charge",
          []() -> net::awaitable<int> {
            co_await sleep_for(std::chrono::milliseconds(1));
            throw CustomError("card declined", 402);
          }(),
          memory.tracer);
    } catch (const CustomError& error) {
      caught_code = error.code;
      caught_message = error.what();
    }
  }());
  CHECK(caught_code == 402);
  CHECK(caught_message == "card declined");
  auto spans = exported(memory);
  const SpanData& call = only_span_named(spans, "backend.billing.charge");
  CHECK(call.status.code == StatusCode::error);
  CHECK(call.status.description == "card declined");
  const Event* exception = find_event(call, "exception");
  REQUIRE(exception != nullptr);
  CHECK(event_attribute(*exception, "exception.type") == "(anonymous namespace)::CustomError");
  CHECK(event_attribute(*exception, "exception.message") == "card declined");
}

TEST_CASE("an error_code result marks the span Error; operation_aborted says cancelled") {
  MemoryProvider memory;
  net::io_context io;
  net::ip::tcp::endpoint closed_endpoint;
  {
    net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
    closed_endpoint = acceptor.local_endpoint();
  }  // closed: connecting is refused
  boost::system::error_code connect_error, wait_error, alone;
  run_task(io, [&]() -> net::awaitable<void> {
    net::ip::tcp::socket socket(co_await net::this_coro::executor);
    std::tie(connect_error) = co_await traced_backend_call(
        "local", "connect",
        socket.async_connect(closed_endpoint, net::as_tuple(net::use_awaitable)), memory.tracer);

    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::hours(1));
    net::post(co_await net::this_coro::executor, [&] { timer.cancel(); });
    std::tie(wait_error) =
        co_await traced("wait", SpanKind::internal,
                        timer.async_wait(net::as_tuple(net::use_awaitable)), {}, memory.tracer);
    alone =
        co_await traced("alone", SpanKind::internal,
                        ready(boost::system::error_code(net::error::timed_out)), {}, memory.tracer);
  }());
  CHECK(connect_error == net::error::connection_refused);
  CHECK(wait_error == net::error::operation_aborted);
  CHECK(alone == net::error::timed_out);
  auto spans = exported(memory);
  const SpanData& connect = only_span_named(spans, "backend.local.connect");
  CHECK(connect.status.code == StatusCode::error);
  CHECK(connect.status.description ==
        boost::system::error_code(net::error::connection_refused).message());
  const SpanData& wait = only_span_named(spans, "wait");
  CHECK(wait.status.code == StatusCode::error);
  CHECK(wait.status.description == "cancelled");
  const SpanData& alone_span = only_span_named(spans, "alone");
  CHECK(alone_span.status.description ==
        boost::system::error_code(net::error::timed_out).message());
}

TEST_CASE("expected-like results carrying an error mark the span Error") {
  MemoryProvider memory;
  net::io_context io;
  std::optional<Expected<int>> failed, fine;
  std::optional<boost::system::result<int>> result;
  run_task(io, [&]() -> net::awaitable<void> {
    // Built before the co_await: GCC 12 destroys an aggregate temporary of a co_await
    // expression twice.
    Expected<int> invalid(Error{Error::Code::invalid_argument, "spec id must be positive"});
    boost::system::result<int> aborted{boost::system::error_code(net::error::operation_aborted)};
    failed = co_await traced("expected", SpanKind::internal, ready(std::move(invalid)), {},
                             memory.tracer);
    fine = co_await traced("expected fine", SpanKind::internal, ready(Expected<int>(5)), {},
                           memory.tracer);
    result =
        co_await traced("result", SpanKind::internal, ready(std::move(aborted)), {}, memory.tracer);
  }());
  CHECK_FALSE(failed->has_value());
  CHECK(**fine == 5);
  CHECK(result->has_error());
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "expected").status ==
        Status{StatusCode::error, "spec id must be positive"});
  CHECK(only_span_named(spans, "expected fine").status.code == StatusCode::unset);
  CHECK(only_span_named(spans, "result").status == Status{StatusCode::error, "cancelled"});
}

TEST_CASE("a task cancelled through its cancellation slot marks the pending span cancelled") {
  MemoryProvider memory;
  net::io_context io;
  net::cancellation_signal signal;
  std::exception_ptr outcome;
  tachi_trace::co_spawn(
      io,
      traced_query("select", "slow", sleep_for(std::chrono::hours(1)), {.tracer = &memory.tracer}),
      net::bind_cancellation_slot(signal.slot(),
                                  [&](std::exception_ptr error) { outcome = error; }));
  net::steady_timer trigger(io, std::chrono::milliseconds(5));
  trigger.async_wait(
      [&](boost::system::error_code) { signal.emit(net::cancellation_type::terminal); });
  io.run();
  REQUIRE(outcome != nullptr);
  CHECK_THROWS_AS(std::rethrow_exception(outcome), boost::system::system_error);
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "db.select").status == Status{StatusCode::error, "cancelled"});
}

TEST_CASE("unsampled traced awaitables export nothing and still carry a valid context") {
  MemoryProvider memory(testing::roomy_settings(make_always_off_sampler()));
  net::io_context io;
  SpanContext inside;
  int value = run_task(io, traced(
                               "quiet", SpanKind::internal,
                               [&]() -> net::awaitable<int> {
                                 inside = current_context().span_context();
                                 co_return 11;
                               }(),
                               {}, memory.tracer));
  CHECK(value == 11);
  CHECK(inside.is_valid());
  CHECK_FALSE(inside.is_sampled());
  CHECK(exported(memory).empty());
  auto counters = memory.provider.counters();
  CHECK(counters.spans_started == 1);
  CHECK(counters.spans_sampled_out == 1);
}

TEST_CASE("under an unsampled parent the wrappers pass the caller's context through") {
  MemoryProvider memory(testing::roomy_settings(make_parent_based_sampler(
      make_always_off_sampler(), {.remote_parent_not_sampled = make_always_on_sampler()})));
  net::io_context io;
  SpanContext caller;
  std::vector<SpanContext> inside;
  auto observe = [&]() -> net::awaitable<int> {
    inside.push_back(current_context().span_context());
    co_return 5;
  };
  int total = run_task(io, [&]() -> net::awaitable<int> {
    auto request = memory.tracer.start_span("request");  // a root the sampler drops
    auto scope = request.activate();
    caller = request.context();
    int sum = co_await traced("quiet", SpanKind::internal, observe(), {}, memory.tracer);
    sum += co_await traced_query("select", "specs", observe(), {.tracer = &memory.tracer});
    sum += co_await traced_backend_call("llm", "chat", observe(), memory.tracer);
    sum += co_await traced_execution(7, "llm", "small", observe(), memory.tracer);
    co_return sum;
  }());
  CHECK(total == 20);
  REQUIRE(inside.size() == 4);
  for (const auto& context : inside) {
    CHECK(context.trace_id == caller.trace_id);
    CHECK(context.span_id == caller.span_id);  // no span in between
    CHECK_FALSE(context.is_sampled());
  }
  CHECK(exported(memory).empty());
  auto counters = memory.provider.counters();
  CHECK(counters.spans_started == 5);  // the skipped spans are counted as sampled out
  CHECK(counters.spans_sampled_out == 5);

  // A remote unsampled parent: this sampler's delegate samples its children, so the wrapper makes
  // a span and the awaitable runs inside it.
  inside.clear();
  run_task(io, [&]() -> net::awaitable<int> {
    Span remote = Span::non_recording(
        SpanContext{caller.trace_id, generate_span_id(), TraceFlags(0), {}, /*is_remote=*/true});
    auto scope = remote.activate();

    co_return co_await traced("sampled child", SpanKind::internal, observe(), {}, memory.tracer);
  }());
  REQUIRE(inside.size() == 1);
  CHECK(inside[0].is_sampled());
  CHECK(only_span_named(exported(memory), "sampled child").context.span_id == inside[0].span_id);
}

TEST_CASE("span helpers annotate the current span of the task") {
  MemoryProvider memory;
  net::io_context io;
  run_task(io, traced(
                   "annotated", SpanKind::internal,
                   []() -> net::awaitable<void> {
                     span_attribute("spec.name", "summary");
                     span_event("cache.miss", {{"key", "spec:7"}});
                     co_await sleep_for(std::chrono::milliseconds(1));
                     span_error(std::runtime_error("quota exceeded"));
                     span_status(StatusCode::ok);  // Error was set: Ok still wins, it is final
                   }(),
                   {}, memory.tracer));
  run_task(io, traced(
                   "message only", SpanKind::internal,
                   []() -> net::awaitable<void> {
                     span_error("upstream returned 503");
                     span_error(boost::system::error_code());  // no error: changes nothing
                     co_return;
                   }(),
                   {}, memory.tracer));
  auto spans = exported(memory);
  const SpanData& annotated = only_span_named(spans, "annotated");
  CHECK(string_attribute(annotated, "spec.name") == "summary");
  REQUIRE(find_event(annotated, "cache.miss") != nullptr);
  CHECK(event_attribute(*find_event(annotated, "cache.miss"), "key") == "spec:7");
  REQUIRE(find_event(annotated, "exception") != nullptr);
  CHECK(annotated.status.code == StatusCode::ok);
  CHECK(only_span_named(spans, "message only").status ==
        Status{StatusCode::error, "upstream returned 503"});
}

TEST_CASE("traced awaitables use the global tracer unless given one") {
  MemoryProvider global_memory;
  MemoryProvider explicit_memory;
  GlobalProvider global(global_memory);
  net::io_context io;
  run_task(io, [&]() -> net::awaitable<void> {
    co_await traced("global", SpanKind::internal, ready_void());
    co_await traced("explicit", SpanKind::internal, ready_void(), {}, explicit_memory.tracer);
    co_await traced_backend_call("b", "op", ready_void());
    co_await traced_execution(1, "b", "m", ready_void());
  }());
  auto global_spans = exported(global_memory);
  auto explicit_spans = exported(explicit_memory);
  CHECK(global_spans.size() == 3);
  REQUIRE(explicit_spans.size() == 1);
  CHECK(explicit_spans[0].data.name == "explicit");
  CHECK(global_spans[0].scope.name == "tachi_trace");
}

TEST_CASE("100 nested traced levels form a chain of parents and unwind cleanly") {
  MemoryProvider memory;
  net::io_context io;
  std::function<net::awaitable<int>(int)> level = [&](int depth) -> net::awaitable<int> {
    if (depth == 100) {
      co_await sleep_for(std::chrono::microseconds(100));
      co_return depth;
    }
    co_return co_await traced("level " + std::to_string(depth + 1), SpanKind::internal,
                              level(depth + 1), {}, memory.tracer);
  };
  SpanId current_after{generate_span_id()};
  int deepest = run_task(io, [&]() -> net::awaitable<int> {
    int result = co_await level(0);
    current_after = current_span_id();
    co_return result;
  }());
  CHECK(deepest == 100);
  CHECK_FALSE(current_after.is_valid());
  auto spans = exported(memory);
  REQUIRE(spans.size() == 100);
  for (int depth = 2; depth <= 100; ++depth) {
    const SpanData& child = only_span_named(spans, "level " + std::to_string(depth));
    const SpanData& parent = only_span_named(spans, "level " + std::to_string(depth - 1));
    REQUIRE(child.parent_span_id == parent.context.span_id);
    REQUIRE(child.context.trace_id == parent.context.trace_id);
  }
  CHECK_FALSE(only_span_named(spans, "level 1").has_parent());
}

TEST_CASE("outside a task a traced span is parented but not left current across suspension") {
  MemoryProvider memory;
  net::io_context io;
  auto thread_span = memory.tracer.start_span("thread");
  auto scope = thread_span.activate();
  SpanId seen_by_neighbour;
  net::co_spawn(io,
                traced("plain", SpanKind::internal, sleep_for(std::chrono::milliseconds(5)), {},
                       memory.tracer),
                net::detached);
  auto neighbour = [&]() -> net::awaitable<void> {
    co_await sleep_for(std::chrono::milliseconds(1));  // while "plain" is suspended
    seen_by_neighbour = current_span_id();
  };
  net::co_spawn(io, neighbour(), net::detached);
  io.run();
  CHECK(seen_by_neighbour == thread_span.context().span_id);
  auto spans = exported(memory);
  CHECK(only_span_named(spans, "plain").parent_span_id == thread_span.context().span_id);
}
