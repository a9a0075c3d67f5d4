// Small HTTP helpers the sample's routes share: request and response types, JSON answers,
// request-target parsing and the text written to the access log.
//
// Every error answer is JSON `{"error": "..."}` whose message says what was received and what was
// expected, so a client (or a curious newcomer with curl) knows what to fix.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tachi_sample {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

/// A response with a JSON body (`Content-Type: application/json`).
Response json_response(const Request& request, http::status status, const nlohmann::json& body);
/// `{"error": message}` with `status`.
Response error_response(const Request& request, http::status status, std::string_view message);
/// 405 naming the methods the route answers (also in an `Allow` header).
Response method_not_allowed(const Request& request, std::string_view allowed);

/// The path of a request target (before any `?`).
std::string_view target_path(std::string_view target) noexcept;

/// A spec or run id: a positive decimal integer that fits in 63 bits, no sign, no leading zero.
std::optional<std::int64_t> parse_id(std::string_view text) noexcept;

/// `text` quoted for a log line: `"`, `\` and bytes outside printable ASCII are escaped, so a
/// request target can never forge a second line or field. At most `limit` bytes are kept.
std::string quoted_for_log(std::string_view text, std::size_t limit = 512);

inline constexpr int max_json_depth = 64;

/// Parses a JSON request body; nullopt (and `problem` says why) when it is not JSON or nests
/// deeper than max_json_depth.
std::optional<nlohmann::json> parse_json_body(std::string_view body, std::string& problem);

}  // namespace tachi_sample
