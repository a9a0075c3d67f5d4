// Forward HTTP proxies for the library's HTTP clients (the exporters' transport and HttpClient), as
// the HTTPS_PROXY, HTTP_PROXY and NO_PROXY variables describe them.
//
//   auto proxy = tachi_trace::parse_http_proxy("http://user:secret@proxy.internal:3128");
//   if (!proxy) fail(proxy.error().message);            // never shows the password
//   transport_settings.proxy = *proxy;
//
//   tachi_trace::ProxySettings proxies{.https = *proxy,
//                                      .no_proxy =
//                                      tachi_trace::NoProxyRules("localhost,.internal")};
//   proxies.for_url(url);                               // the proxy to use for `url`, if any
//
// An http:// URL is requested from the proxy in absolute form (`POST http://collector:4318/...`),
// with the proxy's credentials in Proxy-Authorization. An https:// URL goes through a tunnel the
// proxy opens with `CONNECT host:port`; TLS is then spoken with the server itself, which is
// verified as without a proxy, and the proxy sees neither the request nor its headers.
//
// Only http:// proxies are supported (TLS to the proxy and SOCKS are not): parse_http_proxy refuses
// other schemes. As curl does, a proxy given without a scheme ("proxy:3128") is an http:// one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/error.hpp"
#include "tachi_trace/url.hpp"

namespace tachi_trace {

struct HttpProxy {
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 80;
  std::string username;  // percent-decoded; never shown in messages
  std::string password;

  /// "host:port" (IPv6 in brackets), for messages: no credentials.
  std::string authority() const;
  /// The Proxy-Authorization value ("Basic ..."), or "" without a user name.
  std::string authorization() const;

  friend bool operator==(const HttpProxy&, const HttpProxy&) = default;
};

/// Parses `[http://][user[:password]@]host[:port][/]`: user and password percent-encoded, port 80
/// by default. Messages show the text with its password replaced by "REDACTED".
Expected<HttpProxy> parse_http_proxy(std::string_view text);

/// NO_PROXY: hosts reached without a proxy. Entries are separated by commas (or spaces) and matched
/// case-insensitively against the URL's host, never against addresses a name resolves to:
///   *                    every host
///   example.com          that name and every name under it (so is .example.com or *.example.com)
///   192.0.2.7, ::1       that address, written as an address in the URL
///   10.0.0.0/8, fd00::/8 every address in the block
///   host:8080, [::1]:80  any of the above, on that port only
/// Loopback hosts get no exception of their own: list localhost and 127.0.0.1 to exempt them.
class NoProxyRules {
 public:
  NoProxyRules() = default;
  explicit NoProxyRules(std::string_view text);

  bool exempts(const HttpUrl& url) const;
  bool empty() const noexcept { return rules_.empty(); }
  /// Entries that could not be read (such as "10.0.0.0/40"), in order; they exempt nothing.
  const std::vector<std::string>& malformed() const noexcept { return malformed_; }

  struct Rule;

 private:
  std::vector<Rule> rules_;
  std::vector<std::string> malformed_;
};

struct NoProxyRules::Rule {
  enum class Kind : std::uint8_t { everything, domain, address_block };
  Kind kind = Kind::everything;
  std::string domain;           // lower case, without a leading "." or "*."
  unsigned char address[16]{};  // an IPv4 address as IPv4-mapped IPv6
  unsigned prefix_bits = 128;   // of `address`
  std::uint16_t port = 0;       // 0: any port
};

/// Which proxy each kind of URL goes through.
struct ProxySettings {
  std::optional<HttpProxy> http;   // for http:// URLs
  std::optional<HttpProxy> https;  // for https:// URLs
  NoProxyRules no_proxy;

  /// The proxy for `url`: by its scheme, unless NO_PROXY exempts its host.
  std::optional<HttpProxy> for_url(const HttpUrl& url) const;
};

}  // namespace tachi_trace
