// traceparent: parse_traceparent and the tracecontext propagator. What parses must format back
// to a version-00 value that parses to the same context.
#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tachi_fuzz::as_text(data, size);
  auto parsed = parse_traceparent(input);
  if (parsed) {
    tachi_fuzz::expect(parsed->is_valid() && parsed->is_remote);
    tachi_fuzz::expect((parsed->flags.bits() & ~0x03) == 0);
    const std::string formatted = format_traceparent(*parsed);
    tachi_fuzz::expect(formatted.size() == 55);
    auto again = parse_traceparent(formatted);
    tachi_fuzz::expect(again && again->trace_id == parsed->trace_id &&
                       again->span_id == parsed->span_id && again->flags == parsed->flags);
  } else {
    tachi_fuzz::expect(!parsed.error().message.empty());
  }
  static const auto propagator = make_trace_context_propagator();
  const tachi_fuzz::Headers headers = {{"traceparent", std::string(input)}};
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::expect(extracted.span_context().is_valid() == parsed.has_value());
  return 0;
}
