// HTTPS_PROXY / HTTP_PROXY and NO_PROXY values: the first line is a proxy URL, the rest a NO_PROXY
// list. A parsed proxy reads back from its own authority, and a NO_PROXY entry naming a host
// exempts that host; "*" exempts everything.
#include "fuzz_support.hpp"
#include "tachi_trace/proxy.hpp"

using namespace tachi_trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tachi_fuzz::as_text(data, size);
  const auto line_end = input.find('\n');
  const std::string_view proxy_text = input.substr(0, line_end);
  const std::string_view list =
      line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);

  const NoProxyRules rules(list);
  auto proxy = parse_http_proxy(proxy_text);
  if (!proxy) {
    tachi_fuzz::expect(!proxy.error().message.empty());
    return 0;
  }
  tachi_fuzz::expect(proxy->authorization().empty() == proxy->username.empty());
  auto again = parse_http_proxy(proxy->authority());
  tachi_fuzz::expect(again && again->host == proxy->host && again->port == proxy->port);

  const HttpUrl url{.host = proxy->host, .port = proxy->port};
  rules.exempts(url);
  tachi_fuzz::expect(NoProxyRules(std::string(list) + ",*").exempts(url));
  const NoProxyRules itself(proxy->authority());
  if (itself.malformed().empty()) tachi_fuzz::expect(itself.exempts(url));
  return 0;
}
