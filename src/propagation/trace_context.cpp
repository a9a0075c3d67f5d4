// W3C Trace Context Level 2: traceparent, tracestate, and the server-timing response metric.
#include <array>

#include "tachi_trace/propagation.hpp"
#include "text.hpp"
#include "trace_context.hpp"

namespace tachi_trace {

namespace {

using propagation::trim_optional_white_space;

// Positions in a traceparent: vv-<32 trace id>-<16 parent id>-ff
constexpr std::size_t trace_id_at = 3;
constexpr std::size_t parent_id_at = 36;
constexpr std::size_t flags_at = 53;
constexpr std::size_t version_00_length = 55;
// Only the flags this version defines travel on; the recommendation says to zero the others.
constexpr std::uint8_t known_flags = TraceFlags::sampled_bit | TraceFlags::random_bit;

enum class Problem {
  none,
  too_long,
  version,
  version_ff,
  too_short,
  version_00_length,
  after_flags,
  trace_id,
  zero_trace_id,
  parent_id,
  zero_parent_id,
  flags,
};

bool is_lowercase_hex(std::string_view text) {
  for (char character : text)
    if (propagation::hex_digit_value(character, propagation::HexCase::lowercase_only) < 0)
      return false;
  return true;
}

Problem check_version_and_length(std::string_view value) {
  if (value.size() > header_limits::traceparent) return Problem::too_long;
  if (value.size() < 3 || !is_lowercase_hex(value.substr(0, 2)) || value[2] != '-')
    return Problem::version;
  if (value.starts_with("ff")) return Problem::version_ff;
  if (value.size() < version_00_length) return Problem::too_short;
  if (value.starts_with("00") && value.size() != version_00_length)
    return Problem::version_00_length;
  // A future version may add fields, each after a '-'; anything else after the flags is invalid.
  if (value.size() > version_00_length && value[version_00_length] != '-')
    return Problem::after_flags;
  return Problem::none;
}

Problem read_fields(std::string_view value, SpanContext& context) {
  const auto trace_id = propagation::parse_id<TraceId>(
      value.substr(trace_id_at, TraceId::hex_length), propagation::HexCase::lowercase_only);
  if (!trace_id || value[parent_id_at - 1] != '-') return Problem::trace_id;
  if (!trace_id->is_valid()) return Problem::zero_trace_id;
  const auto parent_id = propagation::parse_id<SpanId>(
      value.substr(parent_id_at, SpanId::hex_length), propagation::HexCase::lowercase_only);
  if (!parent_id || value[flags_at - 1] != '-') return Problem::parent_id;
  if (!parent_id->is_valid()) return Problem::zero_parent_id;
  std::uint8_t flags = 0;
  if (!propagation::read_hex(value.substr(flags_at, 2), &flags, 1,
                             propagation::HexCase::lowercase_only))
    return Problem::flags;
  context.trace_id = *trace_id;
  context.span_id = *parent_id;
  context.flags = TraceFlags(flags & known_flags);
  context.is_remote = true;
  return Problem::none;
}

std::string_view describe(Problem problem) {
  switch (problem) {
    case Problem::none:
      return "";
    case Problem::too_long:
      return "it is longer than the 512 characters read";
    case Problem::version:
      return "the version is not two lowercase hex digits followed by '-'";
    case Problem::version_ff:
      return "version ff is invalid";
    case Problem::too_short:
      return "it is shorter than 55 characters";
    case Problem::version_00_length:
      return "version 00 must be exactly 55 characters";
    case Problem::after_flags:
      return "the flags are followed by something other than '-'";
    case Problem::trace_id:
      return "the trace id is not 32 lowercase hex digits followed by '-'";
    case Problem::zero_trace_id:
      return "the trace id is all zeros";
    case Problem::parent_id:
      return "the parent id is not 16 lowercase hex digits followed by '-'";
    case Problem::zero_parent_id:
      return "the parent id is all zeros";
    case Problem::flags:
      return "the flags are not two lowercase hex digits";
  }
  return "";
}

}  // namespace

namespace propagation {

std::optional<SpanContext> read_traceparent(std::string_view value) noexcept {
  if (value.size() > header_limits::traceparent) return std::nullopt;  // before any work
  value = trim_optional_white_space(value);
  SpanContext context;
  if (check_version_and_length(value) != Problem::none) return std::nullopt;
  if (read_fields(value, context) != Problem::none) return std::nullopt;
  return context;
}

void write_traceparent(const SpanContext& context, char* out) noexcept {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  context.trace_id.write_hex(out + trace_id_at);
  out[parent_id_at - 1] = '-';
  context.span_id.write_hex(out + parent_id_at);
  out[flags_at - 1] = '-';
  const std::uint8_t flags = context.flags.bits() & known_flags;
  detail::write_hex(&flags, 1, out + flags_at);
}

}  // namespace propagation

Expected<SpanContext> parse_traceparent(std::string_view value) {
  const std::string_view trimmed =
      value.size() > header_limits::traceparent ? value : trim_optional_white_space(value);
  SpanContext context;
  Problem problem = check_version_and_length(trimmed);
  if (problem == Problem::none) problem = read_fields(trimmed, context);
  if (problem == Problem::none) return context;
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) about "literal" + std::string&&.
  std::string message =
      "traceparent must be \"<version>-<trace-id>-<parent-id>-<flags>\" in lowercase hex, but got ";
  if (problem == Problem::too_long)
    message.append(std::to_string(trimmed.size())).append(" characters");
  else
    message.append("\"").append(trimmed).append("\"");
  message.append(": ").append(describe(problem));
  return Error{Error::Code::invalid_argument, std::move(message)};
}

std::string format_traceparent(const SpanContext& context) {
  std::string text(version_00_length, '0');
  propagation::write_traceparent(context, text.data());
  return text;
}

std::string format_server_timing(const SpanContext& context) {
  if (!context.is_valid()) return {};
  constexpr std::string_view prefix = "trace;desc=";
  std::string text(prefix.size() + version_00_length, '0');
  text.replace(0, prefix.size(), prefix);
  propagation::write_traceparent(context, text.data() + prefix.size());
  return text;
}

namespace {

constexpr std::string_view traceparent_field = "traceparent";
constexpr std::string_view tracestate_field = "tracestate";
constexpr std::array<std::string_view, 2> trace_context_fields = {traceparent_field,
                                                                  tracestate_field};

// Several tracestate fields form one list in field order (RFC 9110); one too long to be a
// tracestate, or one that does not parse, gives the empty state without touching the parent.
TraceState read_trace_state(const CarrierReader& carrier) {
  const std::vector<std::string_view> values = carrier.get_all(tracestate_field);
  if (values.empty()) return {};
  if (values.size() == 1) {
    if (values.front().size() > header_limits::tracestate) return {};
    return TraceState::parse(values.front()).value_or(TraceState());
  }
  auto joined = propagation::join_field_values(values, header_limits::tracestate);
  if (!joined) return {};
  return TraceState::parse(*joined).value_or(TraceState());
}

class TraceContextPropagator final : public TextMapPropagator {
 public:
  std::span<const std::string_view> fields() const noexcept override {
    return trace_context_fields;
  }

 private:
  Context do_extract(const CarrierReader& carrier, const Context& context) const override {
    // Two traceparent fields cannot be told apart: the recommendation treats that as invalid.
    const std::vector<std::string_view> parents = carrier.get_all(traceparent_field);
    if (parents.size() != 1) return context;
    std::optional<SpanContext> parent = propagation::read_traceparent(parents.front());
    if (!parent) return context;
    parent->trace_state = read_trace_state(carrier);
    return context.with_span(Span::non_recording(std::move(*parent)));
  }

  void do_inject(const Context& context, CarrierWriter& carrier) const override {
    const SpanContext& span_context = context.span_context();
    if (!span_context.is_valid()) return;
    std::array<char, version_00_length> traceparent;
    propagation::write_traceparent(span_context, traceparent.data());
    carrier.set(traceparent_field, std::string_view(traceparent.data(), traceparent.size()));
    if (span_context.trace_state.empty()) return;
    const std::string tracestate =
        span_context.trace_state.to_header(TraceState::max_propagated_length);
    if (!tracestate.empty()) carrier.set(tracestate_field, tracestate);
  }
};

}  // namespace

PropagatorPointer make_trace_context_propagator() {
  return std::make_shared<const TraceContextPropagator>();
}

}  // namespace tachi_trace
