// Endpoint URLs as configuration gives them (OTEL_EXPORTER_*_ENDPOINT, TACHI_BACKEND_URL). A URL
// that parses reads back the same from its own text, and names a host and a port.
#include "fuzz_support.hpp"
#include "tachi_trace/url.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto url = parse_http_url(tachi_fuzz::as_text(data, size));
  if (!url) {
    tachi_fuzz::expect(!url.error().message.empty());
    return 0;
  }
  tachi_fuzz::expect(!url->host.empty() && url->port != 0 && url->target.starts_with('/'));
  auto again = parse_http_url(url->to_string());
  tachi_fuzz::expect(again && again->secure == url->secure && again->host == url->host &&
                     again->port == url->port && again->target == url->target);
  tachi_fuzz::expect(again->host_header() == url->host_header());
  return 0;
}
