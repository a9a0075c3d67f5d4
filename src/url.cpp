#include "tachi_trace/url.hpp"

#include <algorithm>
#include <charconv>

#include "url_authority.hpp"

namespace tachi_trace {

namespace {

Error bad_url(std::string_view text, std::string_view why) {
  return Error{Error::Code::invalid_argument, "expected an http:// or https:// URL, but got \"" +
                                                  std::string(text) + "\" (" + std::string(why) +
                                                  ")"};
}

}  // namespace

namespace detail {

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number == 0 || number > 65535)
    return false;
  port = static_cast<std::uint16_t>(number);
  return true;
}

const char* parse_host_and_port(std::string_view authority, std::string& host,
                                std::uint16_t& port) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed IPv6 literal";
    host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected text after the IPv6 literal";
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return "no host";
  // Names as DNS has them (international ones in punycode) and addresses: nothing that could end
  // a header line, split a NO_PROXY list or change where the authority ends.
  const bool bracketed = authority.starts_with('[');
  const bool unsafe = std::any_of(host.begin(), host.end(), [&](unsigned char character) {
    const bool alphanumeric = (character >= 'a' && character <= 'z') ||
                              (character >= 'A' && character <= 'Z') ||
                              (character >= '0' && character <= '9');
    return !alphanumeric && character != '-' && character != '.' && character != '_' &&
           !(bracketed && character == ':');
  });
  if (unsafe) return "the host may have only letters, digits, '-', '.' and '_'";
  if ((!port_text.empty() || authority.ends_with(':')) && !parse_port(port_text, port))
    return "the port must be a number from 1 to 65535";
  return nullptr;
}

}  // namespace detail

Expected<HttpUrl> parse_http_url(std::string_view text) {
  HttpUrl url;
  std::string_view rest;
  if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    url.secure = true;
    url.port = 443;
    rest = text.substr(8);
  } else {
    return bad_url(text, "unknown scheme");
  }
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (target.find('#') != std::string_view::npos) return bad_url(text, "fragments are not allowed");
  if (authority.find('@') != std::string_view::npos)
    return bad_url(text, "user information is not allowed");

  if (const char* why = detail::parse_host_and_port(authority, url.host, url.port))
    return bad_url(text, why);
  url.target = target.empty()
                   ? "/"
                   : (target.front() == '?' ? '/' + std::string(target) : std::string(target));
  return url;
}

std::string HttpUrl::host_header() const {
  std::string header = host.find(':') != std::string::npos ? '[' + host + "]" : host;
  const std::uint16_t default_port = secure ? 443 : 80;
  if (port != default_port) header += ':' + std::to_string(port);
  return header;
}

std::string HttpUrl::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? '[' + host + ']' : host) + ':' + std::to_string(port);
}

std::string HttpUrl::to_string() const {
  return (secure ? "https://" : "http://") + host_header() + target;
}

}  // namespace tachi_trace
