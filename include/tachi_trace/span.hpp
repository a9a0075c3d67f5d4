// Spans: the handle a user holds while work runs, and the data exporters read once it has ended.
//
// `Span` is a move-only RAII handle returned by `Tracer::start_span`; a span not ended explicitly
// is ended when its handle is destroyed. `SpanRef` is a copyable reference to the same span (what
// the current context holds and `current_span()` returns): it can add attributes, events, links and
// status, and end the span, but does not end it when destroyed.
//
// Every operation is safe from any thread and never throws. Once a span has ended, or when it is
// not recording (sampled out), operations do nothing. A non-recording span still has a valid
// context, so propagation keeps working when a trace is sampled out.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tachi_trace/attributes.hpp"
#include "tachi_trace/ids.hpp"

namespace tachi_trace {

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

enum class SpanKind : std::uint8_t { internal, server, client, producer, consumer };
std::string_view to_string(SpanKind kind) noexcept;

enum class StatusCode : std::uint8_t { unset, ok, error };
std::string_view to_string(StatusCode code) noexcept;

struct Status {
  StatusCode code = StatusCode::unset;
  std::string description;  // only kept for StatusCode::error, as the specification says

  friend bool operator==(const Status&, const Status&) = default;
};

struct Event {
  std::string name;
  SystemTime time;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct Link {
  SpanContext context;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

/// Who made a span: the name and version given to `TracerProvider::tracer`.
struct InstrumentationScope {
  std::string name;
  std::string version;
  std::string schema_url;
};

/// A finished span as exporters see it. Exporters read it only after the span has ended, when it
/// no longer changes.
struct SpanData {
  SpanContext context;
  SpanId parent_span_id;  // invalid for a root span
  bool parent_is_remote = false;
  std::string name;
  SpanKind kind = SpanKind::internal;
  SystemTime start_time;
  SystemTime end_time;
  AttributeList attributes;
  std::vector<Event> events;
  std::vector<Link> links;
  Status status;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t dropped_events_count = 0;
  std::uint32_t dropped_links_count = 0;
  const InstrumentationScope* scope = nullptr;  // owned by the TracerProvider

  bool has_parent() const noexcept { return parent_span_id.is_valid(); }
  std::chrono::nanoseconds duration() const noexcept { return end_time - start_time; }
  const AttributeValue* find_attribute(std::string_view key) const noexcept;
};

class Scope;

namespace detail {
struct SpanRecord;
}  // namespace detail

/// A copyable reference to a span. The default-constructed SpanRef is invalid and non-recording.
class SpanRef {
 public:
  SpanRef() noexcept = default;
  SpanRef(const SpanRef& other) noexcept;
  SpanRef(SpanRef&& other) noexcept
      : context_(std::move(other.context_)), record_(std::exchange(other.record_, nullptr)) {}
  SpanRef& operator=(const SpanRef& other) noexcept;
  SpanRef& operator=(SpanRef&& other) noexcept {
    if (this != &other) {
      if (record_ != nullptr) release_record();
      context_ = std::move(other.context_);
      record_ = std::exchange(other.record_, nullptr);
    }
    return *this;
  }
  ~SpanRef() {
    if (record_ != nullptr) release_record();
  }

  const SpanContext& context() const noexcept { return context_; }
  /// True until the span ends, for sampled and record-only spans.
  bool is_recording() const noexcept;

  /// Sets (or replaces) an attribute, within the span's attribute limits.
  /// (The value is only converted when the span records, so a sampled-out span costs nothing.)
  template <typename Value>
  const SpanRef& set_attribute(std::string_view key, Value&& value) const noexcept {
    if (record_ != nullptr) set_typed(key, std::forward<Value>(value));
    return *this;
  }
  /// The same for a key known at compile time, which the span holds by reference (see
  /// ConstantKey): no copy of the key's text.
  template <typename Value>
  const SpanRef& set_attribute(ConstantKey key, Value&& value) const noexcept {
    if (record_ != nullptr) set_typed(key, std::forward<Value>(value));
    return *this;
  }

  const SpanRef& set_attribute(std::string_view key, AttributeValue value) const noexcept {
    if (record_ != nullptr) set_attribute_value(key, std::move(value));
    return *this;
  }
  const SpanRef& set_attribute(ConstantKey key, AttributeValue value) const noexcept {
    if (record_ != nullptr) set_attribute_value(key, std::move(value));
    return *this;
  }

  const SpanRef& set_attributes(const Attributes& attributes) const noexcept;
  /// Adds an event; without `time`, it is stamped now.
  const SpanRef& add_event(std::string_view name, Attributes attributes = {},
                           std::optional<SystemTime> time = std::nullopt) const noexcept;
  const SpanRef& add_link(SpanContext linked, Attributes attributes = {}) const noexcept;
  /// Sets the status. Ok is final: later calls change nothing. Unset never replaces a status. The
  /// description is kept only for Error.
  const SpanRef& set_status(StatusCode code, std::string_view description = {}) const noexcept;
  /// Adds an "exception" event with exception.type and exception.message (and
  /// exception.stacktrace when given). The status is left to the caller, as the specification asks.
  const SpanRef& record_exception(std::string_view type, std::string_view message,
                                  std::string_view stacktrace = {}) const noexcept;
  /// The same for a caught exception; the type is the demangled dynamic type.
  const SpanRef& record_exception(const std::exception& error) const noexcept;
  const SpanRef& record_exception(const std::exception_ptr& error) const noexcept;
  const SpanRef& update_name(std::string_view name) const noexcept;

  /// Ends the span: the first call wins, later ones do nothing. Without `time`, the end time is the
  /// start time plus the duration measured on the monotonic clock.
  void end(std::optional<SystemTime> time = std::nullopt) const noexcept;

  /// Makes this span current (in the running task, or the thread outside tasks) until the returned
  /// scope is destroyed. See context.hpp.
  [[nodiscard]] Scope activate() const;

  /// For exporters and tests: the recorded data, or nullptr when not recording.
  const SpanData* data() const noexcept;

  friend bool operator==(const SpanRef& left, const SpanRef& right) noexcept {
    return left.record_ == right.record_ && left.context_.span_id == right.context_.span_id &&
           left.context_.trace_id == right.context_.trace_id;
  }

 protected:
  void release_record() noexcept;
  // Only for a recording span (record_ set). Key is std::string_view or ConstantKey.
  template <typename Key, typename Value>
  void set_typed(const Key& key, Value&& value) const noexcept {
    using Plain = std::remove_cvref_t<Value>;
    // Scalars and borrowed strings are written straight into the span's storage; anything else
    // (vectors, owned strings to move from) goes through AttributeValue.
    if constexpr (std::is_same_v<Plain, bool>) {
      set_scalar_attribute(key, static_cast<bool>(value));
    } else if constexpr (std::is_integral_v<Plain> && !std::is_same_v<Plain, char> &&
                         (std::is_signed_v<Plain> || sizeof(Plain) < sizeof(std::int64_t))) {
      set_scalar_attribute(key, static_cast<std::int64_t>(value));
    } else if constexpr (std::is_integral_v<Plain> && !std::is_same_v<Plain, char>) {
      // 64-bit unsigned: typed when it fits, else AttributeValue keeps its exact digits.
      if (value <= static_cast<Plain>(std::numeric_limits<std::int64_t>::max()))
        set_scalar_attribute(key, static_cast<std::int64_t>(value));
      else
        set_attribute_value(key, AttributeValue(value));
    } else if constexpr (std::is_floating_point_v<Plain>) {
      set_scalar_attribute(key, static_cast<double>(value));
    } else if constexpr (std::is_convertible_v<Value&&, std::string_view> &&
                         !(std::is_same_v<Plain, std::string> &&
                           std::is_rvalue_reference_v<Value&&>)) {
      set_string_attribute(key, std::string_view(value));
    } else {
      set_attribute_value(key, AttributeValue(std::forward<Value>(value)));
    }
  }

  void set_attribute_value(std::string_view key, AttributeValue&& value) const noexcept;
  void set_attribute_value(ConstantKey key, AttributeValue&& value) const noexcept;

  void set_scalar_attribute(std::string_view key, bool value) const noexcept;
  void set_scalar_attribute(std::string_view key, std::int64_t value) const noexcept;
  void set_scalar_attribute(std::string_view key, double value) const noexcept;
  void set_string_attribute(std::string_view key, std::string_view value) const noexcept;
  void set_scalar_attribute(ConstantKey key, bool value) const noexcept;
  void set_scalar_attribute(ConstantKey key, std::int64_t value) const noexcept;
  void set_scalar_attribute(ConstantKey key, double value) const noexcept;
  void set_string_attribute(ConstantKey key, std::string_view value) const noexcept;

  /// Ends the span and gives this handle's reference to the pipeline. Only for Span's destructor:
  /// it relies on nobody else using this handle any more.
  void end_and_release() noexcept;

  SpanRef(SpanContext context, detail::SpanRecord* adopted_record) noexcept

      : context_(std::move(context)), record_(adopted_record) {}

  friend class Tracer;
  friend struct detail::SpanRecord;

  SpanContext context_;
  detail::SpanRecord* record_ = nullptr;  // one reference owned by this handle
};

/// The owning handle: ends the span when destroyed, unless it was ended already. Move-only.
class Span : public SpanRef {
 public:
  Span() noexcept = default;
  Span(Span&& other) noexcept = default;
  /// Ends the span this handle held before taking `other`'s.
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() {
    if (record_ != nullptr) end_and_release();
  }

  /// A non-recording span that only carries `context` (for propagation).
  static Span non_recording(SpanContext context) noexcept {
    return Span(std::move(context), nullptr);
  }

 private:
  using SpanRef::SpanRef;
  friend class Tracer;
};

}  // namespace tachi_trace
