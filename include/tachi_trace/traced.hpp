// Traced awaitables: wrap any awaitable in a span, and annotate the current span from inside a
// task.
//
//   auto spec = co_await tachi_trace::traced_query("select", "specs", load_spec(id),
//                                                  {.system = "sqlite"});
//   auto reply = co_await tachi_trace::traced_execution(id, "openai", "gpt-4o",
//       tachi_trace::traced_backend_call("openai", "chat", call_backend(prompt)));
//
// `traced(name, kind, awaitable, attributes)` returns an awaitable that, when awaited, starts a
// span (parent: the context current at that moment), makes it current while the wrapped awaitable
// runs (so spans started inside are its children), ends it when the awaitable completes, and hands
// the result back unchanged: values, move-only values, void. `traced_query`, `traced_backend_call`
// and `traced_execution` are `traced` with the names and attributes of the conventions, old
// and current OpenTelemetry names side by side (see each function). Nested calls compose: the inner
// awaitable of a traced call starts inside the outer span, so it becomes its child.
//
// Errors: an exception marks the span Error with its message, records an "exception" event and
// propagates unchanged. A result that carries an error marks the span Error too: an error_code
// (boost or std) alone or first in a tuple (as `as_tuple(use_awaitable)` gives), a
// std::exception_ptr first in a tuple, and result/expected-like types (`has_value()` and `error()`:
// boost::system::result, tachi_trace::Expected, std::expected). Cancellation (operation_aborted,
// by exception or by value) marks Error with the description "cancelled". Success leaves the status
// unset, as the specification asks of instrumentation.
//
// Unsampled: when the span could not record whatever it carried (Tracer::skips_spans_here: the
// current span is not sampled and the sampler drops every child of an unsampled parent, as the
// default parentbased samplers do, or tracing is disabled), the wrapper returns the awaitable
// itself: no span, no frame, and the current context passes through unchanged, so spans started
// inside and contexts injected from inside carry the caller's span id.
//
// Cost: the strings are copied into the coroutine frame (short ones inline, so an unsampled span
// allocates nothing beyond the frame); the named wrappers set their attributes only on recording
// spans, so a sampler sees their name and kind but not their attributes. The general `traced`
// gives its attributes to the sampler. All use `global_tracer()` unless given a Tracer; a Tracer
// given explicitly is copied, so it may be a temporary.
//
// Outside a task (tachi_trace::co_spawn, task.hpp) the span is still parented to the current
// context but is not made current across the suspension: there is no task slot to hold it, and
// the thread's slot is shared by every coroutine the thread runs.
//
// With GCC 12, build attribute lists and other braced or aggregate temporaries in a statement
// before the `co_await`: GCC 12 mishandles such temporaries inside a co_await expression (it
// rejects some and destroys others twice). Clang is not affected.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "tachi_trace/attributes.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/span.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace {

/// What `traced_query` needs beyond the operation and the table.
struct QueryOptions {
  /// db.system / db.system.name: "postgresql", "sqlite", ...; "other_sql" when unknown.
  std::string_view system = "other_sql";
  /// The tracer; nullptr for global_tracer(). Copied, so it need not outlive the call.
  const Tracer* tracer = nullptr;
};

// ---- helpers for the current span ------------------------------------------------------------

/// Adds an event to the current span (of the running task, else of the thread).
inline void span_event(std::string_view name, Attributes attributes = {}) {
  current_context().span().add_event(name, std::move(attributes));
}
/// Sets an attribute on the current span.
inline void span_attribute(std::string_view key, AttributeValue value) {
  current_context().span().set_attribute(key, std::move(value));
}
/// Sets the current span's status (the rules of SpanRef::set_status apply: Ok is final).
inline void span_status(StatusCode code, std::string_view description = {}) {
  current_context().span().set_status(code, description);
}
/// Marks the current span Error with `message`.
void span_error(std::string_view message) noexcept;
/// Records `error` as an exception event on the current span and marks it Error with its message.
void span_error(const std::exception& error) noexcept;
void span_error(const std::exception_ptr& error) noexcept;
/// Marks the current span Error with the code's message ("cancelled" for operation_aborted); does
/// nothing for a code that holds no error.
void span_error(const boost::system::error_code& error) noexcept;

namespace detail {

/// A string kept in the coroutine frame: up to `Capacity` bytes inline, longer ones on the heap.
template <std::size_t Capacity>
class FrameString {
 public:
  explicit FrameString(std::string_view text) : size_(text.size()) {
    if (size_ > Capacity) {
      heap_ = std::make_unique<char[]>(size_);
      std::memcpy(heap_.get(), text.data(), size_);
    } else if (size_ >= 4 && size_ <= 16) {
      // Most names: two overlapping moves of 8 (or 4) bytes, no call to memcpy.
      copy_two_overlapping(text.data());
    } else if (size_ != 0) {
      std::memcpy(inline_, text.data(), size_);
    }
  }
  FrameString(FrameString&& other) noexcept : size_(other.size_), heap_(std::move(other.heap_)) {
    // The whole buffer, a constant size: a few vector moves rather than a call to memcpy.
    if (!heap_) std::memcpy(inline_, other.inline_, Capacity);
  }
  FrameString& operator=(FrameString&&) = delete;

  std::string_view view() const noexcept { return {heap_ ? heap_.get() : inline_, size_}; }

 private:
  void copy_two_overlapping(const char* text) noexcept {
    if (size_ >= 8) {
      std::memcpy(inline_, text, 8);
      std::memcpy(inline_ + size_ - 8, text + size_ - 8, 8);
    } else {
      std::memcpy(inline_, text, 4);
      std::memcpy(inline_ + size_ - 4, text + size_ - 4, 4);
    }
  }

  std::size_t size_;
  std::unique_ptr<char[]> heap_;
  char inline_[Capacity];
};

/// The tracer a traced awaitable uses: a copy of one given explicitly, else global_tracer() (not
/// copied, so the default costs no reference count).
class TracerChoice {
 public:
  explicit TracerChoice(const Tracer* tracer) {
    if (tracer != nullptr && tracer != &global_tracer()) copy_.emplace(*tracer);
  }
  const Tracer& get() const noexcept { return copy_ ? *copy_ : global_tracer(); }

 private:
  std::optional<Tracer> copy_;
};

template <typename Text>
concept TextLike = std::convertible_to<const Text&, std::string_view> && !std::integral<Text>;

/// The `spec.id` of traced_execution: an integer or a string.
class SpecIdentifier {
 public:
  template <std::integral Integer>
  SpecIdentifier(Integer number) : number_(static_cast<std::int64_t>(number)), text_({}) {}
  template <TextLike Text>
  SpecIdentifier(const Text& text) : text_(std::string_view(text)), is_text_(true) {}

  AttributeValue attribute() const {
    return is_text_ ? AttributeValue(text_.view()) : AttributeValue(number_);
  }

 private:
  std::int64_t number_ = 0;
  FrameString<40> text_;
  bool is_text_ = false;
};

Span start_query_span(const Tracer& tracer, std::string_view system, std::string_view operation,
                      std::string_view table) noexcept;
Span start_backend_span(const Tracer& tracer, std::string_view backend,
                        std::string_view operation) noexcept;
Span start_execution_span(const Tracer& tracer, const SpecIdentifier& spec_id,
                          std::string_view backend, std::string_view model) noexcept;
void set_execution_duration(const SpanRef& span,
                            std::chrono::steady_clock::duration elapsed) noexcept;

/// Marks `span` Error for a caught exception (operation_aborted: "cancelled") and records it.
void mark_exception(const SpanRef& span, const std::exception_ptr& error) noexcept;
void mark_error_code(const SpanRef& span, const boost::system::error_code& error) noexcept;
void mark_error_code(const SpanRef& span, const std::error_code& error) noexcept;
void mark_error_message(const SpanRef& span, std::string_view message) noexcept;

template <typename Value>
concept ErrorCode =
    std::same_as<Value, boost::system::error_code> || std::same_as<Value, std::error_code>;

template <typename Value>
concept ExpectedLike = requires(const Value& value) {
  { value.has_value() } -> std::convertible_to<bool>;
  value.error();
};

template <typename Value>
struct IsTuple : std::false_type {};
template <typename... Elements>
struct IsTuple<std::tuple<Elements...>> : std::true_type {};

/// Marks `span` Error for the error carried by `error` (the error() of an expected-like result).
template <typename Error>
void mark_error_value(const SpanRef& span, const Error& error) {
  if constexpr (ErrorCode<Error>) {
    if (error)
      mark_error_code(span, error);
    else
      mark_error_message(span, "error");  // an expected holding an error, whatever its code
  } else if constexpr (std::same_as<Error, std::exception_ptr>) {
    mark_exception(span, error);
  } else if constexpr (requires { std::string_view(error.message); }) {
    mark_error_message(span, error.message);
  } else if constexpr (requires { std::string_view(error.message()); }) {
    mark_error_message(span, error.message());
  } else if constexpr (std::convertible_to<const Error&, std::string_view>) {
    mark_error_message(span, error);
  } else {
    mark_error_message(span, "error");
  }
}

/// Marks `span` Error when `result` carries an error (see the header comment for the shapes).
template <typename Value>
void mark_result(const SpanRef& span, const Value& result) {
  if constexpr (ErrorCode<Value>) {
    if (result) mark_error_code(span, result);
  } else if constexpr (IsTuple<Value>::value) {
    if constexpr (std::tuple_size_v < Value >> 0) {
      using First = std::tuple_element_t<0, Value>;
      if constexpr (ErrorCode<First>) {
        if (std::get<0>(result)) mark_error_code(span, std::get<0>(result));
      } else if constexpr (std::same_as<First, std::exception_ptr>) {
        if (std::get<0>(result)) mark_exception(span, std::get<0>(result));
      }
    }
  } else if constexpr (ExpectedLike<Value>) {
    if (!result.has_value()) mark_error_value(span, result.error());
  }
}

struct KindRecipe {
  FrameString<64> name;
  SpanKind kind;
  TracerChoice tracer;

  Span start() noexcept { return tracer.get().start_span(name.view(), kind); }
  void finish(const SpanRef&) noexcept {}
};

struct GenericRecipe {
  FrameString<64> name;
  SpanKind kind;
  Attributes attributes;
  TracerChoice tracer;

  Span start() {
    if (attributes.empty()) return tracer.get().start_span(name.view(), kind);
    SpanStartOptions options;
    options.kind = kind;
    options.attributes = std::move(attributes);
    return tracer.get().start_span(name.view(), options);
  }
  void finish(const SpanRef&) noexcept {}
};

struct QueryRecipe {
  FrameString<24> system;
  FrameString<24> operation;
  FrameString<56> table;
  TracerChoice tracer;

  Span start() noexcept {
    return start_query_span(tracer.get(), system.view(), operation.view(), table.view());
  }
  void finish(const SpanRef&) noexcept {}
};

struct BackendRecipe {
  FrameString<40> backend;
  FrameString<40> operation;
  TracerChoice tracer;

  Span start() noexcept {
    return start_backend_span(tracer.get(), backend.view(), operation.view());
  }
  void finish(const SpanRef&) noexcept {}
};

struct ExecutionRecipe {
  SpecIdentifier spec_id;
  FrameString<40> backend;
  FrameString<56> model;
  TracerChoice tracer;
  std::chrono::steady_clock::time_point started{};

  Span start() noexcept {
    Span span = start_execution_span(tracer.get(), spec_id, backend.view(), model.view());
    if (span.is_recording()) started = std::chrono::steady_clock::now();
    return span;
  }
  void finish(const SpanRef& span) noexcept {
    if (span.is_recording())
      set_execution_duration(span, std::chrono::steady_clock::now() - started);
  }
};

/// The coroutine behind every traced awaitable. `recipe` starts the span and adds what is known at
/// the end; the outcome decides the status.
template <typename Recipe, typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> run_traced(
    Recipe recipe, boost::asio::awaitable<Value, Executor> operation) {
  Span span = recipe.start();
  // Holding the span current across the suspension is only safe in a task's own slot.
  std::optional<Scope> scope;
  if (ContextSlot* task_slot = detail::active_task_slot_variable())
    scope.emplace(*task_slot, task_slot->get().with_span(span));
  try {
    if constexpr (std::is_void_v<Value>) {
      co_await std::move(operation);
      recipe.finish(span);
    } else {
      Value result = co_await std::move(operation);
      if (span.is_recording()) mark_result(span, result);
      recipe.finish(span);
      co_return result;
    }
  } catch (...) {
    mark_exception(span, std::current_exception());
    recipe.finish(span);
    throw;
  }
}

}  // namespace detail

/// Runs `operation` inside a span named `name`; `attributes` are given to the sampler and set on
/// the span. See the header comment for results, errors and cost.
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> traced(std::string_view name, SpanKind kind,
                                               boost::asio::awaitable<Value, Executor> operation,
                                               Attributes attributes,
                                               const Tracer& tracer = global_tracer()) {
  if (tracer.skips_spans_here()) return operation;
  return detail::run_traced(
      detail::GenericRecipe{detail::FrameString<64>(name), kind, std::move(attributes),
                            detail::TracerChoice(&tracer)},
      std::move(operation));
}

/// The same without attributes: nothing to carry into the frame, nothing to give the sampler.
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> traced(std::string_view name, SpanKind kind,
                                               boost::asio::awaitable<Value, Executor> operation) {
  const Tracer& tracer = global_tracer();
  if (tracer.skips_spans_here()) return operation;
  return detail::run_traced(
      detail::KindRecipe{detail::FrameString<64>(name), kind, detail::TracerChoice(&tracer)},
      std::move(operation));
}

/// A database call: CLIENT span `db.<operation>` with db.system, db.operation, db.table and their
/// current names db.system.name, db.operation.name, db.collection.name.
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> traced_query(std::string_view operation,
                                                     std::string_view table,
                                                     boost::asio::awaitable<Value, Executor> query,
                                                     const QueryOptions& options = {}) {
  const Tracer& tracer = options.tracer != nullptr ? *options.tracer : global_tracer();
  if (tracer.skips_spans_here()) return query;
  return detail::run_traced(
      detail::QueryRecipe{detail::FrameString<24>(options.system),
                          detail::FrameString<24>(operation), detail::FrameString<56>(table),
                          detail::TracerChoice(options.tracer)},
      std::move(query));
}

/// A call to a backend service: CLIENT span `backend.<backend>.<operation>` with backend.name and
/// backend.operation.
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> traced_backend_call(
    std::string_view backend, std::string_view operation,
    boost::asio::awaitable<Value, Executor> call, const Tracer& tracer = global_tracer()) {
  if (tracer.skips_spans_here()) return call;
  return detail::run_traced(
      detail::BackendRecipe{detail::FrameString<40>(backend), detail::FrameString<40>(operation),
                            detail::TracerChoice(&tracer)},
      std::move(call));
}

/// An LLM execution of a spec: CLIENT span `llm.execution` with spec.id, llm.backend, llm.model,
/// gen_ai.system, gen_ai.request.model, and llm.duration_ms (a double, set when it completes).
template <typename Value, typename Executor>
boost::asio::awaitable<Value, Executor> traced_execution(
    detail::SpecIdentifier spec_id, std::string_view backend, std::string_view model,
    boost::asio::awaitable<Value, Executor> execution, const Tracer& tracer = global_tracer()) {
  if (tracer.skips_spans_here()) return execution;
  return detail::run_traced(
      detail::ExecutionRecipe{std::move(spec_id), detail::FrameString<40>(backend),
                              detail::FrameString<56>(model), detail::TracerChoice(&tracer)},
      std::move(execution));
}

}  // namespace tachi_trace
