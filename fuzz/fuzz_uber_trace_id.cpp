// Jaeger: the first line is an uber-trace-id value, the other lines "name: value" headers (for
// uberctx-* baggage). What is extracted injects back to the same trace and the same baggage.
#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto propagator = make_jaeger_propagator();
  const auto parts = tachi_fuzz::lines(tachi_fuzz::as_text(data, size), 2);
  tachi_fuzz::Headers headers = {{"uber-trace-id", std::string(parts[0])}};
  if (parts.size() == 2)
    for (auto& header : tachi_fuzz::header_lines(parts[1]))
      headers.push_back(std::move(header));
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::expect(extracted.baggage().size() <= header_limits::baggage_members);
  tachi_fuzz::Headers written;
  KeyValueCarrier carrier(written);
  propagator->inject(extracted, carrier);
  const Context again = propagator->extract(KeyValueReader(written));
  tachi_fuzz::expect(again.span_context().trace_id == extracted.span_context().trace_id);
  tachi_fuzz::expect(again.span_context().span_id == extracted.span_context().span_id);
  tachi_fuzz::expect(again.span_context().is_sampled() == extracted.span_context().is_sampled());
  for (const auto& entry : again.baggage().entries())
    tachi_fuzz::expect(extracted.baggage().get(entry.key) == std::string_view(entry.value));
  return 0;
}
