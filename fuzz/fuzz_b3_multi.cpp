// b3 multiple headers: the input's lines are X-B3-TraceId, X-B3-SpanId, X-B3-Sampled, X-B3-Flags
// and X-B3-ParentSpanId. What is extracted injects back to the same state.
#include <array>

#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto propagator = make_b3_propagator(B3Encoding::multiple_headers);
  static constexpr std::array<std::string_view, 5> names = {
      "X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "X-B3-Flags", "X-B3-ParentSpanId"};
  const auto values = tachi_fuzz::lines(tachi_fuzz::as_text(data, size), names.size());
  tachi_fuzz::Headers headers;
  for (std::size_t index = 0; index < values.size(); ++index)
    if (!values[index].empty()) headers.emplace_back(names[index], values[index]);
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::Headers written;
  KeyValueCarrier carrier(written);
  propagator->inject(extracted, carrier);
  const Context again = propagator->extract(KeyValueReader(written));
  tachi_fuzz::expect(again.span_context().trace_id == extracted.span_context().trace_id);
  tachi_fuzz::expect(again.span_context().span_id == extracted.span_context().span_id);
  if (extracted.span_context().is_valid()) tachi_fuzz::expect(again.debug() == extracted.debug());
  return 0;
}
