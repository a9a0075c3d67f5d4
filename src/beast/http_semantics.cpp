#include "beast/http_semantics.hpp"

#include <cxxabi.h>
#include <array>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "transport/connection_loss.hpp"

namespace tachi_trace::http_semantics {

namespace {

// RFC 9110's methods and PATCH (RFC 5789): what the semantic conventions call known.
constexpr std::array<std::string_view, 9> known_methods = {
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"};

constexpr std::array<std::string_view, 4> sensitive_query_keys = {"AWSAccessKeyId", "Signature",
                                                                  "sig", "X-Goog-Signature"};

bool is_sensitive_key(std::string_view key) noexcept {
  for (auto sensitive : sensitive_query_keys)
    if (key == sensitive) return true;
  return false;
}

/// Calls `visit(key, value, has_value)` for each `&`-separated parameter.
template <typename Visit>
void for_each_parameter(std::string_view query, Visit visit) {
  while (true) {
    const auto end = query.find('&');
    const std::string_view parameter = query.substr(0, end);
    const auto equals = parameter.find('=');
    visit(parameter.substr(0, equals), equals != std::string_view::npos);
    if (end == std::string_view::npos) return;
    query.remove_prefix(end + 1);
  }
}

std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_lookup_failure(const boost::system::error_code& error) noexcept {
  namespace net = boost::asio;
  return error == net::error::host_not_found || error == net::error::host_not_found_try_again ||
         error == net::error::no_data || error == net::error::service_not_found ||
         error.category() == net::error::get_addrinfo_category();
}

}  // namespace

std::string_view known_method(std::string_view method) noexcept {
  for (auto known : known_methods)
    if (method == known) return known;
  return "_OTHER";
}

std::string_view method_label(std::string_view method) noexcept {
  const std::string_view known = known_method(method);
  return known == "_OTHER" ? std::string_view("HTTP") : known;
}

std::string_view protocol_version(unsigned version) noexcept {
  switch (version) {
    case 10:
      return "1.0";
    case 11:
      return "1.1";
    case 20:
      return "2";
    default:
      return {};
  }
}

bool has_sensitive_query_value(std::string_view query) noexcept {
  bool found = false;
  for_each_parameter(query, [&](std::string_view key, bool has_value) {
    found = found || (has_value && is_sensitive_key(key));
  });
  return found;
}

std::string redact_query(std::string_view query) {
  std::string redacted;
  redacted.reserve(query.size());
  bool first = true;
  for_each_parameter(query, [&](std::string_view key, bool has_value) {
    if (!first) redacted += '&';
    first = false;
    redacted += key;
    if (!has_value) return;
    redacted += '=';
    if (is_sensitive_key(key)) {
      redacted += "REDACTED";
    } else {
      const std::size_t value_start =
          static_cast<std::size_t>(key.data() - query.data()) + key.size() + 1;
      const std::size_t value_end = query.find('&', value_start);
      redacted += query.substr(value_start, value_end - value_start);
    }
  });
  return redacted;
}

std::optional<HostAndPort> split_host_and_port(std::string_view authority) noexcept {
  if (authority.empty()) return std::nullopt;
  HostAndPort result;
  std::string_view rest;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    result.host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else {
    const auto colon = authority.find(':');
    result.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) rest = authority.substr(colon);
  }
  if (result.host.empty()) return std::nullopt;
  if (rest.empty()) return result;
  if (rest.front() != ':') return std::nullopt;
  result.port = parse_port(rest.substr(1));
  if (!result.port) return std::nullopt;
  return result;
}

std::uint16_t default_port(std::string_view scheme) noexcept {
  return scheme == "https" ? 443 : 80;
}

std::string_view error_type(const boost::system::error_code& error) noexcept {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  if (error == boost::beast::error::timeout || error == net::error::timed_out) return "timeout";
  if (error == net::error::operation_aborted) return "cancelled";
  if (error == net::error::connection_refused) return "connection_refused";
  if (detail::is_connection_loss(error)) return "connection_reset";
  if (is_lookup_failure(error)) return "host_not_found";
  if (error == http::error::header_limit || error == http::error::body_limit ||
      error == http::error::buffer_overflow)
    return "response_too_large";
  if (error.category() == http::make_error_code(http::error::bad_version).category())
    return "malformed_response";
  // Certificate verification and other failures of the TLS protocol itself.
  if (error.category() == net::error::get_ssl_category()) return "tls_failure";
  return "_OTHER";
}

std::string exception_type(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    const std::type_info& type = typeid(caught);
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(type.name());
  } catch (...) {
    return "_OTHER";
  }
}

}  // namespace tachi_trace::http_semantics
