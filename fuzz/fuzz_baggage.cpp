// baggage: parse_baggage and format_baggage. What is parsed stays within the limits, formats to a
// header within the limits that parses without a malformed member, to the same values.
#include <algorithm>

#include "fuzz_support.hpp"
#include "tachi_trace/propagation.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tachi_fuzz::as_text(data, size);
  const ParsedBaggage parsed = parse_baggage(input);
  tachi_fuzz::expect(parsed.baggage.size() <= header_limits::baggage_members);
  const std::string header = format_baggage(parsed.baggage);
  tachi_fuzz::expect(header.size() <= header_limits::baggage_bytes);
  const ParsedBaggage again = parse_baggage(header);
  tachi_fuzz::expect(again.malformed_members == 0 && again.members_over_limit == 0);
  for (const auto& entry : again.baggage.entries()) {
    tachi_fuzz::expect(parsed.baggage.get(entry.key) == std::string_view(entry.value));
    tachi_fuzz::expect(parse_baggage_properties(entry.metadata).has_value());
  }
  static const auto propagator = make_baggage_propagator();
  tachi_fuzz::Headers headers;
  for (std::string_view line : tachi_fuzz::lines(input, 8))
    headers.emplace_back("baggage", line);
  const Context extracted = propagator->extract(KeyValueReader(headers));
  tachi_fuzz::expect(extracted.baggage().size() <= header_limits::baggage_members);
  return 0;
}
