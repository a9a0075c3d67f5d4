// tracestate: TraceState::parse, serialisation and truncation, and the propagator's combination of
// several fields (the input's lines). A parsed state serialises to a header that parses to the
// same state; a truncated one stays within its bound and still parses.
#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tachi_fuzz::as_text(data, size);
  if (auto state = TraceState::parse(input)) {
    tachi_fuzz::expect(state->size() <= TraceState::max_members);
    auto again = TraceState::parse(state->to_header());
    tachi_fuzz::expect(again && *again == *state);
    const std::string cut = state->to_header(TraceState::max_propagated_length);
    tachi_fuzz::expect(cut.size() <= TraceState::max_propagated_length);
    tachi_fuzz::expect(TraceState::parse(cut).has_value());
  }
  static const auto propagator = make_trace_context_propagator();
  tachi_fuzz::Headers headers = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  for (std::string_view line : tachi_fuzz::lines(input, 40))
    headers.emplace_back("tracestate", line);
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::expect(extracted.span_context().is_valid());
  tachi_fuzz::Headers written;
  KeyValueCarrier carrier(written);
  propagator->inject(extracted, carrier);
  for (const auto& [name, value] : written)
    if (name == "tracestate") tachi_fuzz::expect(value.size() <= TraceState::max_propagated_length);
  return 0;
}
