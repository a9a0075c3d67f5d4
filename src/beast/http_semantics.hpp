// What the HTTP server and client spans share: method names, URL redaction, host and port
// parsing, error.type values.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace tachi_trace::http_semantics {

/// The `http.request.method` value: the method when it is one the conventions know (exactly, case
/// included), else "_OTHER".
std::string_view known_method(std::string_view method) noexcept;
/// The method part of a span name: the known method, else "HTTP".
std::string_view method_label(std::string_view method) noexcept;
/// "1.1" for 11, "1.0" for 10, "2" for 20 (static text; empty for anything else).
std::string_view protocol_version(unsigned version) noexcept;

/// True when `query` holds a key whose value the conventions ask to redact.
bool has_sensitive_query_value(std::string_view query) noexcept;
/// `query` with the values of AWSAccessKeyId, Signature, sig and X-Goog-Signature replaced by
/// REDACTED, keys kept.
std::string redact_query(std::string_view query);

struct HostAndPort {
  std::string_view host;  // IPv6 literals without their brackets
  std::optional<std::uint16_t> port;
};
/// Splits `host[:port]` or `[v6]:port`; nullopt when the text is not of that form.
std::optional<HostAndPort> split_host_and_port(std::string_view authority) noexcept;
/// 443 for https, 80 otherwise.
std::uint16_t default_port(std::string_view scheme) noexcept;

/// A low-cardinality `error.type` for a network or parsing failure (see beast_client.hpp).
std::string_view error_type(const boost::system::error_code& error) noexcept;
/// The fully-qualified type of the exception `error` holds, "_OTHER" when it is not a
/// std::exception.
std::string exception_type(const std::exception_ptr& error);

}  // namespace tachi_trace::http_semantics
