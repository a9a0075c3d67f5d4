// The composite of every propagator over a multi-header carrier (the input's "name: value" lines,
// repeated names allowed). What it injects is well-formed HTTP (no header injection whatever came
// in), and extracting it gives the same trace and span.
#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto propagator = make_propagator(std::vector<PropagatorKind>{
      PropagatorKind::tracecontext, PropagatorKind::baggage, PropagatorKind::b3,
      PropagatorKind::b3multi, PropagatorKind::jaeger});
  const tachi_fuzz::Headers headers = tachi_fuzz::header_lines(tachi_fuzz::as_text(data, size));
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::Headers written;
  KeyValueCarrier carrier(written);
  propagator->inject(extracted, carrier);
  for (const auto& [name, value] : written)
    tachi_fuzz::expect(tachi_fuzz::is_field_name(name) && tachi_fuzz::is_field_value(value));
  const Context again = propagator->extract(KeyValueReader(written));
  tachi_fuzz::expect(again.span_context().trace_id == extracted.span_context().trace_id);
  tachi_fuzz::expect(again.span_context().span_id == extracted.span_context().span_id);
  tachi_fuzz::expect(again.baggage().size() <= header_limits::baggage_members);
  return 0;
}
