#include "tachi_trace/proxy.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstring>

#include "basic_authorization.hpp"
#include "config_values.hpp"
#include "url_authority.hpp"

namespace tachi_trace {

namespace {

// The text with the password of its user information, if any, replaced.
std::string redacted(std::string_view text) {
  const auto scheme_end = text.find("://");
  const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at < authority_start) return std::string(text);
  const auto colon = text.find(':', authority_start);
  if (colon == std::string_view::npos || colon > at) return std::string(text);
  return std::string(text.substr(0, colon + 1)) + "REDACTED" + std::string(text.substr(at));
}

Error bad_proxy(std::string_view text, std::string_view why) {
  return Error{Error::Code::invalid_argument,
               "expected an http:// proxy URL such as http://proxy:3128, but got \"" +
                   redacted(text) + "\" (" + std::string(why) + ")"};
}

// Both address families as one: IPv4 as IPv4-mapped IPv6, so a block compares bytes alike.
std::optional<boost::asio::ip::address_v6::bytes_type> address_bytes(const std::string& text) {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(text, error);
  if (error) return std::nullopt;
  if (address.is_v4())
    return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes();
  return address.to_v6().to_bytes();
}

bool in_block(const boost::asio::ip::address_v6::bytes_type& address,
              const NoProxyRules::Rule& rule) {
  const unsigned whole_bytes = rule.prefix_bits / 8;
  if (std::memcmp(address.data(), rule.address, whole_bytes) != 0) return false;
  const unsigned rest_bits = rule.prefix_bits % 8;
  if (rest_bits == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest_bits));
  return (address[whole_bytes] & mask) == (rule.address[whole_bytes] & mask);
}

// Splits a port off `entry` ("host:80", "[::1]:80"); an unbracketed IPv6 address keeps its colons.
bool split_port(std::string_view& entry, std::uint16_t& port) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view after = entry.substr(close + 1);
    if (!after.empty() && !(after.front() == ':' && detail::parse_port(after.substr(1), port)))
      return false;
    entry = entry.substr(1, close - 1);
    return true;
  }
  if (std::count(entry.begin(), entry.end(), ':') != 1) return true;
  const auto colon = entry.find(':');
  if (!detail::parse_port(entry.substr(colon + 1), port)) return false;
  entry = entry.substr(0, colon);
  return true;
}

std::optional<NoProxyRules::Rule> read_rule(std::string_view entry) {
  NoProxyRules::Rule rule;
  if (entry == "*") return rule;
  if (!split_port(entry, rule.port)) return std::nullopt;
  // As for hosts: "name." is "name", and "192.0.2.7." the address.
  while (entry.ends_with('.'))
    entry.remove_suffix(1);
  const auto slash = entry.find('/');
  const std::string address_text(entry.substr(0, slash));
  if (auto bytes = address_bytes(address_text)) {
    rule.kind = NoProxyRules::Rule::Kind::address_block;
    std::memcpy(rule.address, bytes->data(), bytes->size());
    const bool v4 = address_text.find(':') == std::string::npos;
    if (slash != std::string_view::npos) {
      const std::string_view bits = entry.substr(slash + 1);
      unsigned prefix = 0;
      auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (error != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
          prefix > (v4 ? 32u : 128u))
        return std::nullopt;
      rule.prefix_bits = v4 ? prefix + 96 : prefix;
    }
    return rule;
  }
  if (slash != std::string_view::npos) return std::nullopt;
  if (entry.starts_with("*.")) entry.remove_prefix(2);
  while (entry.starts_with('.'))
    entry.remove_prefix(1);
  if (entry.empty() || entry.find_first_of("*[]@ ") != std::string_view::npos) return std::nullopt;
  rule.kind = NoProxyRules::Rule::Kind::domain;
  rule.domain = detail::lower_case(entry);
  return rule;
}

}  // namespace

std::string HttpProxy::authority() const {
  return HttpUrl{.host = host, .port = port}.authority();
}

std::string HttpProxy::authorization() const {
  if (username.empty()) return {};
  return detail::basic_authorization(username, password);
}

Expected<HttpProxy> parse_http_proxy(std::string_view original) {
  const std::string_view text = detail::trim_white_space(original);
  std::string_view rest = text;
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = detail::lower_case(text.substr(0, scheme_end));
    if (scheme == "https")
      return bad_proxy(text, "https:// proxies, TLS to the proxy itself, are not supported");
    if (scheme != "http") return bad_proxy(text, "unsupported scheme \"" + scheme + "\"");
    rest = text.substr(scheme_end + 3);
  }
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos && rest.substr(authority_end) != "/")
    return bad_proxy(text, "a proxy URL has no path, query or fragment");
  HttpProxy proxy;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_information = authority.substr(0, at);
    const auto colon = user_information.find(':');
    auto username = detail::percent_decode(user_information.substr(0, colon));
    auto password = colon == std::string_view::npos
                        ? std::optional<std::string>("")
                        : detail::percent_decode(user_information.substr(colon + 1));
    if (!username || !password)
      return bad_proxy(text, "malformed percent escape in the user information");
    if (username->empty()) return bad_proxy(text, "empty user name");
    proxy.username = std::move(*username);
    proxy.password = std::move(*password);
    authority.remove_prefix(at + 1);
  }
  if (const char* why = detail::parse_host_and_port(authority, proxy.host, proxy.port))
    return bad_proxy(text, why);
  return proxy;
}

NoProxyRules::NoProxyRules(std::string_view text) {
  std::string list(text);
  std::replace(list.begin(), list.end(), ' ', ',');
  for (std::string_view entry : detail::split_list(list)) {
    if (auto rule = read_rule(entry))
      rules_.push_back(std::move(*rule));
    else
      malformed_.emplace_back(entry);
  }
}

bool NoProxyRules::exempts(const HttpUrl& url) const {
  if (rules_.empty()) return false;
  std::string host = detail::lower_case(url.host);
  while (host.ends_with('.'))
    host.pop_back();
  const auto address = address_bytes(host);
  return std::any_of(rules_.begin(), rules_.end(), [&](const Rule& rule) {
    if (rule.port != 0 && rule.port != url.port) return false;
    switch (rule.kind) {
      case Rule::Kind::everything:
        return true;
      case Rule::Kind::address_block:
        return address && in_block(*address, rule);
      case Rule::Kind::domain:
        return !address &&
               (host == rule.domain ||
                (host.ends_with(rule.domain) && host[host.size() - rule.domain.size() - 1] == '.'));
    }
    return false;
  });
}

std::optional<HttpProxy> ProxySettings::for_url(const HttpUrl& url) const {
  const std::optional<HttpProxy>& proxy = url.secure ? https : http;
  if (!proxy || no_proxy.exempts(url)) return std::nullopt;
  return proxy;
}

}  // namespace tachi_trace
