// HTTP(S) URLs as exporters use them: scheme, host, port and request target.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tachi_trace/error.hpp"

namespace tachi_trace {

struct HttpUrl {
  bool secure = false;  // https
  std::string host;     // without brackets for IPv6 literals
  std::uint16_t port = 80;
  std::string target = "/";  // path and query

  /// The Host header value (with brackets and a port other than the scheme's default).
  std::string host_header() const;
  /// "host:port" with the port always given (IPv6 in brackets): a CONNECT request's target.
  std::string authority() const;
  std::string to_string() const;
};

/// Parses `http://host[:port][/path][?query]` or `https://...`. User information and fragments are
/// refused, as are ports outside 1-65535.
Expected<HttpUrl> parse_http_url(std::string_view text);

}  // namespace tachi_trace
