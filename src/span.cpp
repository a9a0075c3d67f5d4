#include "tachi_trace/span.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>

#include "clock.hpp"
#include "same_text.hpp"
#include "span_record.hpp"
#include "tachi_trace/semantic_conventions.hpp"

namespace tachi_trace {

namespace {

using detail::same_text;
using detail::SpanRecord;

// Holds the record's lock. Always taken, even when one handle holds the only reference: that one
// handle may itself be shared by several threads (the specification makes every span operation
// safe to call concurrently).
class RecordAccess {
 public:
  explicit RecordAccess(SpanRecord* record) noexcept : record_(record) { record_->lock.lock(); }
  RecordAccess(const RecordAccess&) = delete;
  RecordAccess& operator=(const RecordAccess&) = delete;
  ~RecordAccess() { record_->lock.unlock(); }

 private:
  SpanRecord* record_;
};

// Runs `change` on the record's data, unless the span has ended.
template <typename Change>
[[gnu::always_inline]] inline void change_if_recording(SpanRecord* record,
                                                       Change&& change) noexcept {
  if (record == nullptr) return;
  RecordAccess access(record);
  if (record->ended.load(std::memory_order_relaxed)) return;
  change(record->data, record->limits);
}

SystemTime system_now() noexcept {
  return detail::read_clock_and_time().time;
}

std::string demangled_type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

Attributes limited(Attributes attributes, std::uint32_t count_limit, std::uint32_t length_limit,
                   std::uint32_t& dropped) {
  Attributes kept;
  kept.reserve(std::min<std::size_t>(attributes.size(), count_limit));
  for (auto& attribute : attributes) {
    if (!set_attribute_within_limits(kept, std::move(attribute), count_limit, length_limit))
      ++dropped;
  }
  return kept;
}

}  // namespace

void detail::SpanRecord::destroy(SpanRecord* record) noexcept {
  delete record;
}

void detail::SpanRecord::reset_for_reuse() noexcept {
  // Vectors that grew large for one unusual span are not kept at that size for every later one.
  constexpr std::size_t kept_capacity = 32;
  auto clear = [](auto& values) {
    if (values.empty()) return;  // the common case: spans without events or links
    if (values.capacity() > kept_capacity)
      std::decay_t<decltype(values)>().swap(values);
    else
      values.clear();
  };
  if (data.attributes.kept() > kept_capacity)
    data.attributes.release();
  else
    data.attributes.clear();  // keeps the elements: the next span reuses their buffers
  clear(data.events);
  clear(data.links);
  data.status.code = StatusCode::unset;
  data.status.description.clear();
  data.dropped_attributes_count = data.dropped_events_count = data.dropped_links_count = 0;
  attribute_key_bits = 0;
  ended.store(false, std::memory_order_relaxed);
  references.store(1, std::memory_order_relaxed);
}

std::string_view to_string(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::internal:
      return "internal";
    case SpanKind::server:
      return "server";
    case SpanKind::client:
      return "client";
    case SpanKind::producer:
      return "producer";
    case SpanKind::consumer:
      return "consumer";
  }
  return "internal";
}

std::string_view to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::unset:
      return "unset";
    case StatusCode::ok:
      return "ok";
    case StatusCode::error:
      return "error";
  }
  return "unset";
}

const AttributeValue* SpanData::find_attribute(std::string_view key) const noexcept {
  for (const auto& attribute : attributes)
    if (attribute.key == key) return &attribute.value;
  return nullptr;
}

SpanRef::SpanRef(const SpanRef& other) noexcept : context_(other.context_), record_(other.record_) {
  if (record_ != nullptr) record_->retain();
}

SpanRef& SpanRef::operator=(const SpanRef& other) noexcept {
  if (this != &other) *this = SpanRef(other);
  return *this;
}

void SpanRef::release_record() noexcept {
  std::exchange(record_, nullptr)->release();
}

bool SpanRef::is_recording() const noexcept {
  return record_ != nullptr && !record_->ended.load(std::memory_order_acquire);
}

const SpanData* SpanRef::data() const noexcept {
  return record_ ? &record_->data : nullptr;
}

namespace {

// A setter's key as text: found among the span's keys by comparing texts, stored by copying.
struct TextKey {
  std::string_view text;

  std::string_view view() const noexcept { return text; }
  bool matches(const AttributeKey& stored) const noexcept { return same_text(stored.view(), text); }
  void store_in(AttributeKey& stored) const {
    if (!matches(stored)) stored.assign(text);
  }
};

// A setter's key known at compile time: found by its address first (the text is compared only
// when the span holds this key as text), stored by reference.
struct ReferredKey {
  ConstantKey key;

  std::string_view view() const noexcept { return key.text(); }
  bool matches(const AttributeKey& stored) const noexcept {
    return stored.refers_to(key) || same_text(stored.view(), key.text());
  }
  void store_in(AttributeKey& stored) const noexcept {
    if (!stored.refers_to(key)) stored.assign(key);
  }
};

// Sets `key` to a value built in place by `assign(AttributeValue::Storage&)`, within the limits.
// Inlined into each setter, which then is one function with no calls on its common path.
template <typename Key, typename Assign>
[[gnu::always_inline]] inline void store_attribute(SpanRecord* record, const Key& key,
                                                   const Assign& assign) noexcept {
  change_if_recording(record, [&](SpanData& data, const SpanLimits& limits) {
    const std::uint64_t key_bit = detail::attribute_key_bit(key.view());
    if ((record->attribute_key_bits & key_bit) != 0) {
      for (auto& existing : data.attributes) {
        if (key.matches(existing.key)) {
          assign(existing.value.storage(), limits);
          return;
        }
      }
    }
    record->attribute_key_bits |= key_bit;
    if (data.attributes.size() >= limits.attribute_count) {
      ++data.dropped_attributes_count;
      return;
    }
    Attribute& added = data.attributes.append();
    // A recycled record's element often held this very key (spans of one kind set the same
    // attributes in the same order): then there is nothing to store.
    key.store_in(added.key);
    assign(added.value.storage(), limits);
  });
}

template <typename Key, typename Scalar>
[[gnu::always_inline]] inline void store_scalar(SpanRecord* record, const Key& key,
                                                Scalar value) noexcept {
  store_attribute(record, key, [value](auto& storage, const SpanLimits&) {
    storage.template emplace<Scalar>(value);
  });
}

template <typename Key>
[[gnu::always_inline]] inline void store_string(SpanRecord* record, const Key& key,
                                                std::string_view value) noexcept {
  store_attribute(record, key, [value](auto& storage, const SpanLimits& limits) {
    // Nearly every value is within the limit (unlimited by default): no call then.
    const std::string_view kept = value.size() <= limits.attribute_value_length
                                      ? value
                                      : truncated_utf8(value, limits.attribute_value_length);
    if (auto* text = std::get_if<std::string>(&storage)) {
      if (!same_text(*text, kept)) text->assign(kept);  // reuses the string's buffer
    } else
      storage.template emplace<std::string>(kept);
  });
}

template <typename Key>
void store_value(SpanRecord* record, const Key& key, AttributeValue&& value) noexcept {
  store_attribute(record, key, [&value](auto& storage, const SpanLimits& limits) {
    truncate_attribute_value(value, limits.attribute_value_length);
    storage = std::move(value.storage());
  });
}

// Stores a copy of `value` under `key`, written in place where that reuses buffers.
template <typename Key>
void store_copy(SpanRecord* record, const Key& key, const AttributeValue& value) noexcept {
  if (const auto* text = value.get_if<std::string>())
    store_string(record, key, *text);
  else if (const auto* number = value.get_if<std::int64_t>())
    store_scalar(record, key, *number);
  else if (const auto* real = value.get_if<double>())
    store_scalar(record, key, *real);
  else if (const auto* flag = value.get_if<bool>())
    store_scalar(record, key, *flag);
  else
    store_value(record, key, AttributeValue(value));
}

}  // namespace

void SpanRef::set_scalar_attribute(std::string_view key, bool value) const noexcept {
  store_scalar(record_, TextKey{key}, value);
}
void SpanRef::set_scalar_attribute(std::string_view key, std::int64_t value) const noexcept {
  store_scalar(record_, TextKey{key}, value);
}
void SpanRef::set_scalar_attribute(std::string_view key, double value) const noexcept {
  store_scalar(record_, TextKey{key}, value);
}
void SpanRef::set_string_attribute(std::string_view key, std::string_view value) const noexcept {
  store_string(record_, TextKey{key}, value);
}
void SpanRef::set_attribute_value(std::string_view key, AttributeValue&& value) const noexcept {
  store_value(record_, TextKey{key}, std::move(value));
}

void SpanRef::set_scalar_attribute(ConstantKey key, bool value) const noexcept {
  store_scalar(record_, ReferredKey{key}, value);
}
void SpanRef::set_scalar_attribute(ConstantKey key, std::int64_t value) const noexcept {
  store_scalar(record_, ReferredKey{key}, value);
}
void SpanRef::set_scalar_attribute(ConstantKey key, double value) const noexcept {
  store_scalar(record_, ReferredKey{key}, value);
}
void SpanRef::set_string_attribute(ConstantKey key, std::string_view value) const noexcept {
  store_string(record_, ReferredKey{key}, value);
}
void SpanRef::set_attribute_value(ConstantKey key, AttributeValue&& value) const noexcept {
  store_value(record_, ReferredKey{key}, std::move(value));
}

const SpanRef& SpanRef::set_attributes(const Attributes& attributes) const noexcept {
  if (record_ == nullptr) return *this;
  // Scalars and strings are written in place, which reuses a recycled record's buffers; only
  // arrays are copied as whole values. A key held by reference stays so.
  for (const auto& attribute : attributes) {
    if (const auto constant = attribute.key.constant())
      store_copy(record_, ReferredKey{*constant}, attribute.value);
    else
      store_copy(record_, TextKey{attribute.key.view()}, attribute.value);
  }
  return *this;
}

const SpanRef& SpanRef::add_event(std::string_view name, Attributes attributes,
                                  std::optional<SystemTime> time) const noexcept {
  const SystemTime stamp = time.value_or(system_now());
  change_if_recording(record_, [&](SpanData& data, const SpanLimits& limits) {
    if (data.events.size() >= limits.event_count) {
      ++data.dropped_events_count;
      return;
    }
    Event event{std::string(name), stamp, {}, 0};
    event.attributes = limited(std::move(attributes), limits.attributes_per_event,
                               limits.attribute_value_length, event.dropped_attributes_count);
    data.events.push_back(std::move(event));
  });
  return *this;
}

const SpanRef& SpanRef::add_link(SpanContext linked, Attributes attributes) const noexcept {
  if (!linked.is_valid()) return *this;
  change_if_recording(record_, [&](SpanData& data, const SpanLimits& limits) {
    if (data.links.size() >= limits.link_count) {
      ++data.dropped_links_count;
      return;
    }
    Link link{std::move(linked), {}, 0};
    link.attributes = limited(std::move(attributes), limits.attributes_per_link,
                              limits.attribute_value_length, link.dropped_attributes_count);
    data.links.push_back(std::move(link));
  });
  return *this;
}

const SpanRef& SpanRef::set_status(StatusCode code, std::string_view description) const noexcept {
  if (code == StatusCode::unset) return *this;
  change_if_recording(record_, [&](SpanData& data, const SpanLimits&) {
    if (data.status.code == StatusCode::ok) return;
    data.status.code = code;
    data.status.description = code == StatusCode::error ? std::string(description) : std::string();
  });
  return *this;
}

const SpanRef& SpanRef::record_exception(std::string_view type, std::string_view message,
                                         std::string_view stacktrace) const noexcept {
  if (record_ == nullptr) return *this;
  Attributes attributes{{semconv::exception_type, type}, {semconv::exception_message, message}};
  if (!stacktrace.empty()) attributes.push_back({semconv::exception_stacktrace, stacktrace});
  return add_event("exception", std::move(attributes));
}

const SpanRef& SpanRef::record_exception(const std::exception& error) const noexcept {
  if (record_ == nullptr) return *this;
  return record_exception(demangled_type_name(typeid(error)), error.what());
}

const SpanRef& SpanRef::record_exception(const std::exception_ptr& error) const noexcept {
  if (record_ == nullptr || !error) return *this;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    return record_exception(caught);
  } catch (...) {
    return record_exception("unknown", "an exception not derived from std::exception");
  }
}

const SpanRef& SpanRef::update_name(std::string_view name) const noexcept {
  change_if_recording(record_, [&](SpanData& data, const SpanLimits&) { data.name = name; });
  return *this;
}

namespace {

// Stamps the end time; false when the span had ended already. With the record's lock held, or
// with no other thread able to reach the record.
bool finish_exclusively(SpanRecord* record, std::optional<SystemTime> time) noexcept {
  if (record->ended.load(std::memory_order_relaxed)) return false;
  SpanData& data = record->data;
  if (time) {
    data.end_time = *time;
  } else if (record->explicit_start_time) {
    data.end_time = system_now();
  } else {
    data.end_time = data.start_time + detail::elapsed_since(record->start_ticks);
  }
  record->ended.store(true, std::memory_order_release);
  return true;
}

bool finish(SpanRecord* record, std::optional<SystemTime> time) noexcept {
  RecordAccess access(record);
  return finish_exclusively(record, time);
}

// What the owning handle's destructor does: when its reference is the only one, no other thread
// can reach the record (a thread still using this very handle would race with its destruction,
// and every other handle, context or batch holds a reference of its own), so the lock is not
// taken; the acquire load makes the writes of the last other holder visible. A locked
// instruction costs several nanoseconds on some processors, a tenth of a whole span.
bool finish_on_destruction(SpanRecord* record) noexcept {
  if (record->references.load(std::memory_order_acquire) == 1)
    return finish_exclusively(record, std::nullopt);
  return finish(record, std::nullopt);
}

}  // namespace

void SpanRef::end(std::optional<SystemTime> time) const noexcept {
  if (record_ == nullptr || !finish(record_, time)) return;
  if (!context_.is_sampled()) return;  // record-only spans are never exported
  record_->retain();
  detail::submit_ended_span(record_);
}

void SpanRef::end_and_release() noexcept {
  if (record_ == nullptr) return;
  SpanRecord* record = std::exchange(record_, nullptr);
  if (finish_on_destruction(record) && context_.is_sampled())
    detail::submit_ended_span(record);  // the pipeline takes over this handle's reference
  else
    record->release();
}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    SpanRef::operator=(std::move(other));
  }
  return *this;
}

}  // namespace tachi_trace
