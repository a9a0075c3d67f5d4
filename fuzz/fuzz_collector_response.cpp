// What a collector answers: the body of an OTLP export response (protobuf or JSON, chosen by the
// first byte), read for its partial success and for a failure's status message, and the rest of
// the input as a Retry-After value. Whatever the bytes, reading ends, and what it returns stays
// within what it was given.
#include <chrono>

#include "exporters/otlp_encoders.hpp"
#include "fuzz_support.hpp"
#include "transport/retry.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  const std::string_view body = tachi_fuzz::as_text(data + 1, size - 1);

  if (auto partial = detail::read_export_response(body, json))
    tachi_fuzz::expect(partial->error_message.size() <= body.size());
  else
    tachi_fuzz::expect(!body.empty());  // an empty body is a full success
  tachi_fuzz::expect(detail::read_status_message(body, json).size() <= body.size());

  // A fixed "now", so that a finding reproduces.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  if (auto wait = detail::parse_retry_after(body, now)) tachi_fuzz::expect(wait->count() >= 0);
  if (auto date = detail::parse_http_date(body)) (void)date;
  return 0;
}
