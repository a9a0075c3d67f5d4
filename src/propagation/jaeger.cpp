// Jaeger propagation: `uber-trace-id` and `uberctx-<key>` baggage headers.
#include <array>

#include "tachi_trace/propagation.hpp"
#include "text.hpp"

namespace tachi_trace {

namespace {

using propagation::HexCase;

constexpr std::string_view trace_field = "uber-trace-id";
constexpr std::string_view baggage_prefix = "uberctx-";
constexpr std::array<std::string_view, 1> jaeger_fields = {trace_field};
constexpr std::uint8_t sampled_flag = 0x01;
constexpr std::uint8_t debug_flag = 0x02;

struct JaegerState {
  SpanContext span_context;
  bool debug = false;
};

// Jaeger writes hex in either case and may omit leading zeros; zero ids are invalid.
template <typename Id>
std::optional<Id> read_id(std::string_view hex) {
  auto id = propagation::parse_padded_id<Id>(hex, HexCase::any_case);
  if (!id || !id->is_valid()) return std::nullopt;
  return id;
}

// {trace-id}:{span-id}:{parent-span-id}:{flags}; the parent is deprecated and only checked.
std::optional<JaegerState> read_trace_header(std::string_view value) {
  std::array<std::string_view, 4> parts;
  for (std::size_t index = 0; index < parts.size(); ++index) {
    const auto colon = value.find(':');
    if ((colon == std::string_view::npos) != (index == parts.size() - 1)) return std::nullopt;
    parts[index] = value.substr(0, colon);
    value.remove_prefix(colon == std::string_view::npos ? value.size() : colon + 1);
  }
  auto trace_id = read_id<TraceId>(parts[0]);
  auto span_id = read_id<SpanId>(parts[1]);
  SpanId::Bytes parent{};
  std::uint8_t flags = 0;
  if (!trace_id || !span_id ||
      !propagation::read_padded_hex(parts[2], parent.data(), parent.size(), HexCase::any_case) ||
      !propagation::read_padded_hex(parts[3], &flags, 1, HexCase::any_case))
    return std::nullopt;
  const TraceFlags trace_flags = TraceFlags().with_sampled((flags & sampled_flag) != 0);
  return JaegerState{{*trace_id, *span_id, trace_flags, TraceState(), true},
                     (flags & debug_flag) != 0};
}

// The value may arrive percent-encoded (':' as %3A) from clients that escape every header value.
std::optional<JaegerState> read_trace_field(std::string_view value) {
  if (value.size() > header_limits::uber_trace_id) return std::nullopt;
  value = propagation::trim_optional_white_space(value);
  if (value.find('%') == std::string_view::npos) return read_trace_header(value);
  return read_trace_header(propagation::percent_decode(value, false));
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         detail::equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& character : lower)
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + 32);
  return lower;
}

// Each `uberctx-<key>` field is one entry; HTTP field names have no case, so keys are read in
// lowercase, as Jaeger recommends writing them. The W3C Baggage limits bound what is kept.
std::vector<Baggage::Entry> read_baggage_fields(const CarrierReader& carrier) {
  std::vector<Baggage::Entry> entries;
  std::size_t bytes = 0;
  for (std::string_view name : carrier.keys()) {
    if (!starts_with_ignoring_case(name, baggage_prefix) || !propagation::is_token(name) ||
        name.size() == baggage_prefix.size())
      continue;
    const std::string_view value = carrier.get(name).value_or(std::string_view());
    bytes += name.size() + value.size();
    if (entries.size() == header_limits::baggage_members || bytes > header_limits::baggage_bytes)
      break;
    entries.push_back(
        {lowercase(name.substr(baggage_prefix.size())),
         propagation::percent_decode(propagation::trim_optional_white_space(value), true),
         {}});
  }
  return entries;
}

// Only the unreserved characters of RFC 3986 go unescaped, as Jaeger clients write them.
bool is_unreserved(unsigned char byte) {
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
         (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' || byte == '~';
}

class JaegerPropagator final : public TextMapPropagator {
 public:
  std::span<const std::string_view> fields() const noexcept override { return jaeger_fields; }

 private:
  Context do_extract(const CarrierReader& carrier, const Context& context) const override {
    Context extracted = context;
    if (auto value = carrier.get(trace_field)) {
      if (auto state = read_trace_field(*value)) {
        if (state->debug) state->span_context.flags = state->span_context.flags.with_sampled(true);
        extracted = extracted.with_span(Span::non_recording(std::move(state->span_context)))
                        .with_debug(state->debug);
      }
    }
    std::vector<Baggage::Entry> received = read_baggage_fields(carrier);
    if (received.empty()) return extracted;
    return extracted.with_baggage(merge(extracted.baggage(), std::move(received)));
  }

  // Added to what the context holds (W3C baggage read before, say), later keys winning; the
  // context never holds more than the 64 members that could be propagated.
  static Baggage merge(const Baggage& held, std::vector<Baggage::Entry> received) {
    std::vector<Baggage::Entry> merged = held.entries();
    merged.insert(merged.end(), std::make_move_iterator(received.begin()),
                  std::make_move_iterator(received.end()));
    Baggage baggage = Baggage::from_entries(std::move(merged));
    if (baggage.size() <= header_limits::baggage_members) return baggage;
    std::vector<Baggage::Entry> kept = baggage.entries();
    kept.resize(header_limits::baggage_members);
    return Baggage::from_entries(std::move(kept));
  }

  void do_inject(const Context& context, CarrierWriter& carrier) const override {
    const SpanContext& span_context = context.span_context();
    if (span_context.is_valid()) inject_trace(span_context, context.debug(), carrier);
    inject_baggage(context.baggage(), carrier);
  }

  // Always 32 + 16 digits, parent "0" (deprecated); debug is only sent along with sampled.
  static void inject_trace(const SpanContext& span_context, bool debug, CarrierWriter& carrier) {
    std::array<char, 32 + 1 + 16 + 3 + 2> value;
    span_context.trace_id.write_hex(value.data());
    value[32] = ':';
    span_context.span_id.write_hex(value.data() + 33);
    value[49] = ':';
    value[50] = '0';
    value[51] = ':';
    std::uint8_t flags = span_context.is_sampled() ? sampled_flag : 0;
    if (debug && span_context.is_sampled()) flags |= debug_flag;
    detail::write_hex(&flags, 1, value.data() + 52);
    carrier.set(trace_field, std::string_view(value.data(), value.size()));
  }

  static void inject_baggage(const Baggage& baggage, CarrierWriter& carrier) {
    std::size_t count = 0;
    std::size_t bytes = 0;
    for (const auto& entry : baggage.entries()) {
      if (!propagation::is_token(entry.key)) continue;  // it could not be a field name
      std::string value;
      propagation::append_percent_encoded(value, entry.value, is_unreserved);
      const std::size_t size = baggage_prefix.size() + entry.key.size() + value.size();
      if (count == header_limits::baggage_members || bytes + size > header_limits::baggage_bytes)
        continue;
      ++count;
      bytes += size;
      carrier.set(std::string(baggage_prefix) + entry.key, value);
    }
  }
};

}  // namespace

PropagatorPointer make_jaeger_propagator() {
  return std::make_shared<const JaegerPropagator>();
}

}  // namespace tachi_trace
