// Context propagation: reading a caller's trace context from incoming headers and writing ours into
// outgoing ones (W3C Trace Context and Baggage, B3 single and multiple headers, Jaeger).
//
//   auto propagator = tachi_trace::make_propagator(*config);        // from OTEL_PROPAGATORS
//   tachi_trace::BeastHeaderReader incoming(request);               // propagation_beast.hpp
//   tachi_trace::Context parent = propagator->extract(incoming);    // remote parent + baggage
//   auto span = tracer.start_span("GET /specs", {.kind = SpanKind::server, .parent = parent});
//   tachi_trace::Scope scope(parent.with_span(span));               // keeps the baggage too
//   ...
//   tachi_trace::BeastHeaderCarrier outgoing(client_request);
//   propagator->inject(tachi_trace::current_context(), outgoing);   // traceparent, baggage, ...
//
// A propagator reads and writes through carriers: `CarrierReader` (get, get_all, keys) and
// `CarrierWriter` (set). `KeyValueReader`/`KeyValueCarrier` adapt std::map, std::unordered_map and
// std::vector<std::pair<...>> of strings; propagation_beast.hpp adapts Beast header containers.
// Lookups ignore ASCII case, as HTTP header names do.
//
// Guarantees: malformed input never throws, crashes or reaches the context. A header that does not
// parse is ignored and `extract` returns its `context` argument unchanged for that concern, so an
// invalid `traceparent` leaves no parent and the next span starts a new trace, as the
// specifications say. A header longer than its bound in `header_limits` is ignored without being
// parsed, so memory and time per request stay bounded. Propagators are immutable and may be used
// from any number of threads at once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/baggage.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/context.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/ids.hpp"

namespace tachi_trace {

// ---- carriers ----------------------------------------------------------------------------------

/// Read access to the fields of a message (HTTP headers, message metadata). Views returned stay
/// valid while the carrier's storage is not modified.
class CarrierReader {
 public:
  virtual ~CarrierReader() = default;
  /// The first value of `key`, or nullopt when there is none.
  virtual std::optional<std::string_view> get(std::string_view key) const = 0;
  /// Every value of `key`, in the order the message holds them (repeated headers one by one).
  virtual std::vector<std::string_view> get_all(std::string_view key) const = 0;
  /// The name of every field, once per field, for formats whose names vary (`uberctx-*`).
  virtual std::vector<std::string_view> keys() const = 0;
};

/// Write access to the fields of an outgoing message.
class CarrierWriter {
 public:
  virtual ~CarrierWriter() = default;
  /// Sets `key` to `value`, replacing every value `key` had (whatever its case).
  virtual void set(std::string_view key, std::string_view value) = 0;
};

namespace detail {
inline bool equals_ignoring_case(std::string_view left, std::string_view right) noexcept {
  auto lower = [](char character) {
    return character >= 'A' && character <= 'Z' ? static_cast<char>(character + 32) : character;
  };
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(),
                    [&](char one, char other) { return lower(one) == lower(other); });
}
}  // namespace detail

/// Reads a container of string pairs: std::map, std::unordered_map, std::vector<std::pair<>>.
/// The container must outlive the reader.
template <typename Container>
class KeyValueReader : public CarrierReader {
 public:
  explicit KeyValueReader(const Container& container) noexcept : container_(&container) {}

  std::optional<std::string_view> get(std::string_view key) const override {
    for (const auto& [name, value] : *container_)
      if (detail::equals_ignoring_case(name, key)) return std::string_view(value);
    return std::nullopt;
  }
  std::vector<std::string_view> get_all(std::string_view key) const override {
    std::vector<std::string_view> values;
    for (const auto& [name, value] : *container_)
      if (detail::equals_ignoring_case(name, key)) values.emplace_back(value);
    return values;
  }
  std::vector<std::string_view> keys() const override {
    std::vector<std::string_view> names;
    for (const auto& entry : *container_)
      names.emplace_back(entry.first);
    return names;
  }

 private:
  const Container* container_;
};

/// Reads and writes a container of string pairs; `set` removes every field of the same name (in
/// any case) and adds the new one (at the end of a vector).
template <typename Container>
class KeyValueCarrier final : public KeyValueReader<Container>, public CarrierWriter {
 public:
  explicit KeyValueCarrier(Container& container) noexcept
      : KeyValueReader<Container>(container), container_(&container) {}

  void set(std::string_view key, std::string_view value) override {
    for (auto entry = container_->begin(); entry != container_->end();) {
      if (detail::equals_ignoring_case(entry->first, key))
        entry = container_->erase(entry);
      else
        ++entry;
    }
    if constexpr (requires(Container & sequence) { sequence.emplace_back(key, value); })
      container_->emplace_back(key, value);
    else
      container_->emplace(key, value);
  }

 private:
  Container* container_;
};

// ---- propagators -------------------------------------------------------------------------------

/// Injects a context into outgoing fields and extracts one from incoming fields, for one format
/// (or several, for a composite). Implementations override `do_extract`, `do_inject`, `fields`.
class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;

  /// `context` with what `carrier` holds added: a remote parent span, baggage. Whatever is missing
  /// or malformed in the carrier leaves the matching part of `context` as it was.
  Context extract(const CarrierReader& carrier, const Context& context = {}) const {
    return do_extract(carrier, context);
  }
  /// Writes `context` (usually `current_context()`, inside the span of the outgoing call) into
  /// `carrier`. An invalid span context writes no trace headers.
  void inject(const Context& context, CarrierWriter& carrier) const { do_inject(context, carrier); }
  /// The field names `inject` may write (not the variable `uberctx-*` names of Jaeger baggage).
  virtual std::span<const std::string_view> fields() const noexcept = 0;

 private:
  virtual Context do_extract(const CarrierReader& carrier, const Context& context) const = 0;
  virtual void do_inject(const Context& context, CarrierWriter& carrier) const = 0;
};

using PropagatorPointer = std::shared_ptr<const TextMapPropagator>;

/// W3C Trace Context Level 2: `traceparent` and `tracestate`.
PropagatorPointer make_trace_context_propagator();
/// W3C Baggage: the `baggage` header.
PropagatorPointer make_baggage_propagator();

/// Which B3 form `inject` writes; `extract` reads both, the single `b3` header first.
enum class B3Encoding : std::uint8_t { single_header, multiple_headers };
/// B3 as the OpenTelemetry specification profiles it: extract accepts `b3` and, when it is absent
/// or invalid, `X-B3-TraceId`/`X-B3-SpanId`/`X-B3-Sampled`/`X-B3-Flags`; inject writes the chosen
/// encoding, never a parent span id. A debug request (`d`, `X-B3-Flags: 1`) marks the trace
/// sampled and is kept in the context (`Context::debug`) and passed on.
PropagatorPointer make_b3_propagator(B3Encoding inject_encoding = B3Encoding::single_header);
/// Jaeger: `uber-trace-id` (ids of any length up to 32/16 hex digits, leading zeros omitted, the
/// value possibly percent-encoded) and `uberctx-<key>` baggage headers (values percent-encoded).
PropagatorPointer make_jaeger_propagator();

/// Runs `members` in order: extract feeds each one's result to the next (a later format wins
/// where two carry the same concern), inject lets every member write. No members: does nothing.
PropagatorPointer make_composite_propagator(std::vector<PropagatorPointer> members);
/// One propagator per OTEL_PROPAGATORS name (`b3` injects the single header, `b3multi` the
/// multiple headers).
PropagatorPointer make_propagator(PropagatorKind kind);
/// The composite of `kinds` in order; empty (OTEL_PROPAGATORS=none) gives one that does nothing.
PropagatorPointer make_propagator(std::span<const PropagatorKind> kinds);
/// The composite OTEL_PROPAGATORS asks for (default `tracecontext,baggage`).
PropagatorPointer make_propagator(const FinalizedTracingConfig& config);

/// The process-wide propagator, for instrumentation given none (the Beast middleware, the traced
/// client): W3C Trace Context and Baggage until `set_global_propagator` replaces it, typically
/// with `make_propagator(*config)` at start-up. Safe to call from any thread at any time; a
/// propagator once set stays alive until the process ends, so references never dangle.
const TextMapPropagator& global_propagator() noexcept;
/// Replaces the global propagator; nullptr restores the default.
void set_global_propagator(PropagatorPointer propagator);

// ---- bounds ------------------------------------------------------------------------------------

/// Longest header values the propagators parse, optional white space included; a longer value is
/// ignored unread (for repeated headers, the bound applies to all values of the name together).
namespace header_limits {
/// Version 00 has 55 characters; the room left is for additive future versions.
inline constexpr std::size_t traceparent = 512;
/// 32 members of at most 256 + 1 + 256 characters, plus room for optional white space.
inline constexpr std::size_t tracestate = 32 * 1024;
/// Four times the 8192 bytes the W3C Baggage limits speak of, for white space and percent escapes.
inline constexpr std::size_t baggage = 32 * 1024;
/// The longest valid `b3` value, `{32 hex}-{16 hex}-{state}-{16 hex}`, has 68 characters.
inline constexpr std::size_t b3 = 128;
/// `uber-trace-id`, possibly percent-encoded.
inline constexpr std::size_t uber_trace_id = 256;
/// W3C Baggage: at most 64 list members and 8192 bytes are kept on extract and written on inject;
/// the same limits apply to Jaeger `uberctx-*` headers (bytes of names and values together).
inline constexpr std::size_t baggage_members = 64;
inline constexpr std::size_t baggage_bytes = 8192;
}  // namespace header_limits

// ---- header codecs (what the propagators use, for other transports and for tests) -------------

/// Parses a `traceparent` value exactly as W3C Trace Context Level 2 says: optional white space
/// around it; two lowercase hex digits of version followed by '-', version ff invalid; version 00
/// exactly 55 characters; a higher version parsed by its first four fields, which must end the
/// value or be followed by '-'; lowercase hex ids, neither all zeros. The result is remote, and
/// only the flags this version defines (sampled, random) are kept. The error says what was wrong.
Expected<SpanContext> parse_traceparent(std::string_view value);
/// `00-<trace-id>-<span-id>-<flags>` (55 characters), flags other than sampled and random cleared.
/// Precondition: `context.is_valid()`.
std::string format_traceparent(const SpanContext& context);

/// The value of a `server-timing` response header carrying the server span's context, in the form
/// of the W3C Trace Context editor's draft: `trace;desc=00-<trace-id>-<span-id>-<flags>`. Empty for
/// an invalid context. Servers send it only when TACHI_HTTP_SERVER_TIMING is true.
std::string format_server_timing(const SpanContext& context);
inline constexpr std::string_view server_timing_header = "server-timing";

/// What `parse_baggage` kept, and what it left out.
struct ParsedBaggage {
  Baggage baggage;
  std::size_t malformed_members = 0;   // not `key=value[;properties]` per the W3C grammar
  std::size_t members_over_limit = 0;  // past the 64-member / 8192-byte limits
};
/// Parses a W3C `baggage` value (several headers joined with ','): keys are HTTP tokens, values are
/// percent-decoded (invalid UTF-8 becomes U+FFFD), properties are kept as the entry's metadata in
/// their received encoding without white space (`p1;k=v`). Malformed members are skipped and the
/// valid ones kept, which the W3C Baggage recommendation allows; members past the limits are
/// dropped whole, never cut.
ParsedBaggage parse_baggage(std::string_view header);
/// The `baggage` value for `baggage`: values percent-encoded where the grammar requires it,
/// metadata appended after ';'. Entries whose key is not an HTTP token or whose metadata is not a
/// property list are left out (they cannot be written); so are entries that would pass 64 members
/// or 8192 bytes, whole. Empty when nothing is left.
std::string format_baggage(const Baggage& baggage);

/// One property of a baggage entry's metadata, its value percent-decoded.
struct BaggageProperty {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const BaggageProperty&, const BaggageProperty&) = default;
};
/// The properties in a baggage entry's metadata (none for empty metadata); nullopt when it is not
/// a property list.
std::optional<std::vector<BaggageProperty>> parse_baggage_properties(std::string_view metadata);

}  // namespace tachi_trace
