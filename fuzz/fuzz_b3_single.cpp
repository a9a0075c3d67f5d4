// b3 single header: what the propagator extracts, it injects back (single and multiple headers)
// so that extracting again gives the same trace, span, sampling and debug state.
#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

namespace {
void expect_round_trip(const TextMapPropagator& propagator, const Context& extracted) {
  tachi_fuzz::Headers written;
  KeyValueCarrier carrier(written);
  propagator.inject(extracted, carrier);
  const Context again = propagator.extract(KeyValueReader(written));
  const SpanContext& first = extracted.span_context();
  const SpanContext& second = again.span_context();
  tachi_fuzz::expect(second.is_valid() && second.trace_id == first.trace_id &&
                     second.span_id == first.span_id && second.is_sampled() == first.is_sampled() &&
                     again.debug() == extracted.debug());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto single = make_b3_propagator(B3Encoding::single_header);
  static const auto multiple = make_b3_propagator(B3Encoding::multiple_headers);
  const tachi_fuzz::Headers headers = {{"b3", std::string(tachi_fuzz::as_text(data, size))}};
  const Context extracted = single->extract(KeyValueReader(headers));
  if (!extracted.span_context().is_valid()) return 0;
  tachi_fuzz::expect(extracted.span_context().is_remote);
  expect_round_trip(*single, extracted);
  expect_round_trip(*multiple, extracted);
  return 0;
}
