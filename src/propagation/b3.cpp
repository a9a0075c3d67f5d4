// B3 (Zipkin) propagation, single `b3` header and multiple `X-B3-*` headers, as the
// OpenTelemetry specification profiles it.
#include <array>

#include "tachi_trace/propagation.hpp"
#include "text.hpp"

namespace tachi_trace {

namespace {

using propagation::HexCase;
using propagation::trim_optional_white_space;

constexpr std::string_view single_field = "b3";
constexpr std::string_view trace_id_field = "X-B3-TraceId";
constexpr std::string_view span_id_field = "X-B3-SpanId";
constexpr std::string_view sampled_field = "X-B3-Sampled";
constexpr std::string_view flags_field = "X-B3-Flags";
constexpr std::string_view parent_span_id_field = "X-B3-ParentSpanId";
constexpr std::array<std::string_view, 1> single_fields = {single_field};
constexpr std::array<std::string_view, 4> multiple_fields = {trace_id_field, span_id_field,
                                                             sampled_field, flags_field};

enum class Sampling : std::uint8_t { defer, deny, accept, debug };

/// What one B3 encoding carried: maybe ids, and a sampling state.
struct B3State {
  std::optional<SpanContext> span_context;
  Sampling sampling = Sampling::defer;
};

// Trace ids are 32 or 16 lowercase hex digits (64-bit ids are padded on the left); span ids 16.
std::optional<TraceId> read_trace_id(std::string_view hex) {
  if (hex.size() != 32 && hex.size() != 16) return std::nullopt;
  auto id = propagation::parse_padded_id<TraceId>(hex, HexCase::lowercase_only);
  if (!id || !id->is_valid()) return std::nullopt;
  return id;
}

std::optional<SpanId> read_span_id(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  auto id = propagation::parse_id<SpanId>(hex, HexCase::lowercase_only);
  if (!id || !id->is_valid()) return std::nullopt;
  return id;
}

// A parent span id is read only to reject malformed input; OpenTelemetry never uses it.
bool is_parent_span_id(std::string_view hex) {
  return propagation::parse_id<SpanId>(hex, HexCase::lowercase_only).has_value();
}

std::optional<Sampling> read_single_sampling(std::string_view state) {
  if (state == "0") return Sampling::deny;
  if (state == "1") return Sampling::accept;
  if (state == "d") return Sampling::debug;
  return std::nullopt;
}

// "1"/"0", and "true"/"false" which tracers sent before the specification was written.
std::optional<Sampling> read_sampled_header(std::string_view value) {
  if (value == "1" || value == "true") return Sampling::accept;
  if (value == "0" || value == "false") return Sampling::deny;
  return std::nullopt;
}

std::optional<SpanContext> remote_context(std::string_view trace_hex, std::string_view span_hex) {
  auto trace_id = read_trace_id(trace_hex);
  auto span_id = read_span_id(span_hex);
  if (!trace_id || !span_id) return std::nullopt;
  return SpanContext{*trace_id, *span_id, TraceFlags(), TraceState(), true};
}

struct SingleHeaderParts {
  std::array<std::string_view, 4> parts;
  std::size_t count = 0;
};

// The '-'-separated parts of a `b3` value; nullopt for more than four.
std::optional<SingleHeaderParts> split_single(std::string_view value) {
  SingleHeaderParts split;
  for (std::size_t start = 0; start <= value.size(); ++split.count) {
    if (split.count == split.parts.size()) return std::nullopt;
    const auto dash = std::min(value.find('-', start), value.size());
    split.parts[split.count] = value.substr(start, dash - start);
    start = dash + 1;
  }
  return split;
}

// b3 = {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]] or {SamplingState} alone.
std::optional<B3State> read_single(std::string_view value) {
  if (value.size() > header_limits::b3) return std::nullopt;
  const auto split = split_single(trim_optional_white_space(value));
  if (!split) return std::nullopt;
  const auto& [parts, count] = *split;
  B3State state;
  if (count != 2) {
    auto sampling = read_single_sampling(parts[count == 1 ? 0 : 2]);
    if (!sampling) return std::nullopt;
    state.sampling = *sampling;
  }
  if (count == 1) return state;
  state.span_context = remote_context(parts[0], parts[1]);
  if (!state.span_context) return std::nullopt;
  if (count == 4 && !is_parent_span_id(parts[3])) return std::nullopt;
  return state;
}

std::optional<std::string_view> trimmed_field(const CarrierReader& carrier, std::string_view key) {
  auto value = carrier.get(key);
  if (value) value = trim_optional_white_space(*value);
  return value;
}

// The first value of each X-B3-* header wins, as the B3 specification says.
std::optional<B3State> read_multiple(const CarrierReader& carrier) {
  const auto trace_id = trimmed_field(carrier, trace_id_field);
  const auto span_id = trimmed_field(carrier, span_id_field);
  const auto sampled = trimmed_field(carrier, sampled_field);
  const auto flags = trimmed_field(carrier, flags_field);
  const auto parent_span_id = trimmed_field(carrier, parent_span_id_field);
  B3State state;
  if (sampled) {
    auto sampling = read_sampled_header(*sampled);
    if (!sampling) return std::nullopt;
    state.sampling = *sampling;
  }
  // Debug is "X-B3-Flags: 1"; any other value is to be ignored.
  if (flags && *flags == "1") state.sampling = Sampling::debug;
  if (!trace_id && !span_id && !parent_span_id) return state;
  if (!trace_id || !span_id) return std::nullopt;
  if (parent_span_id && !is_parent_span_id(*parent_span_id)) return std::nullopt;
  state.span_context = remote_context(*trace_id, *span_id);
  if (!state.span_context) return std::nullopt;
  return state;
}

// Ids with a state make the remote parent; a state alone has no ids to continue, so a new trace
// starts, but a debug request still travels on with it.
Context apply(const Context& context, B3State state) {
  const bool debug = state.sampling == Sampling::debug;
  if (!state.span_context) return debug ? context.with_debug(true) : context;
  const bool sampled = debug || state.sampling == Sampling::accept;
  state.span_context->flags = TraceFlags().with_sampled(sampled);
  return context.with_span(Span::non_recording(std::move(*state.span_context))).with_debug(debug);
}

class B3Propagator final : public TextMapPropagator {
 public:
  explicit B3Propagator(B3Encoding encoding) : encoding_(encoding) {}

  std::span<const std::string_view> fields() const noexcept override {
    if (encoding_ == B3Encoding::single_header) return single_fields;
    return multiple_fields;
  }

 private:
  // The single header wins when it carries ids; when it is absent or invalid, the multiple
  // headers are tried.
  Context do_extract(const CarrierReader& carrier, const Context& context) const override {
    std::optional<B3State> single;
    if (auto value = carrier.get(single_field)) single = read_single(*value);
    if (single && single->span_context) return apply(context, std::move(*single));
    std::optional<B3State> multiple = read_multiple(carrier);
    if (multiple && multiple->span_context) return apply(context, std::move(*multiple));
    if (single) return apply(context, std::move(*single));
    if (multiple) return apply(context, std::move(*multiple));
    return context;
  }

  void do_inject(const Context& context, CarrierWriter& carrier) const override {
    const SpanContext& span_context = context.span_context();
    if (!span_context.is_valid()) return;
    if (encoding_ == B3Encoding::single_header)
      inject_single(span_context, context.debug(), carrier);
    else
      inject_multiple(span_context, context.debug(), carrier);
  }

  // Debug implies accept, so it replaces the sampled state; no parent span id is ever sent.
  static void inject_single(const SpanContext& span_context, bool debug, CarrierWriter& carrier) {
    std::array<char, 32 + 1 + 16 + 2> value;
    span_context.trace_id.write_hex(value.data());
    value[32] = '-';
    span_context.span_id.write_hex(value.data() + 33);
    value[49] = '-';
    value[50] = debug ? 'd' : (span_context.is_sampled() ? '1' : '0');
    carrier.set(single_field, std::string_view(value.data(), value.size()));
  }

  static void inject_multiple(const SpanContext& span_context, bool debug, CarrierWriter& carrier) {
    std::array<char, 32> trace_id;
    span_context.trace_id.write_hex(trace_id.data());
    carrier.set(trace_id_field, std::string_view(trace_id.data(), trace_id.size()));
    std::array<char, 16> span_id;
    span_context.span_id.write_hex(span_id.data());
    carrier.set(span_id_field, std::string_view(span_id.data(), span_id.size()));
    if (debug)
      carrier.set(flags_field, "1");
    else
      carrier.set(sampled_field, span_context.is_sampled() ? "1" : "0");
  }

  B3Encoding encoding_;
};

}  // namespace

PropagatorPointer make_b3_propagator(B3Encoding inject_encoding) {
  return std::make_shared<const B3Propagator>(inject_encoding);
}

}  // namespace tachi_trace
