#include "http_support.hpp"

#include <charconv>

namespace tachi_sample {

Response json_response(const Request& request, http::status status, const nlohmann::json& body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  // Replacement characters instead of an exception for strings that are not UTF-8: echoed input
  // must never turn an answer into a 500.
  response.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body() += '\n';
  return response;
}

Response error_response(const Request& request, http::status status, std::string_view message) {
  return json_response(request, status, nlohmann::json{{"error", message}});
}

Response method_not_allowed(const Request& request, std::string_view allowed) {
  Response response = error_response(
      request, http::status::method_not_allowed,
      std::string(request.method_string()) + " is not allowed here; use " + std::string(allowed));
  response.set(http::field::allow, allowed);
  return response;
}

std::string_view target_path(std::string_view target) noexcept {
  return target.substr(0, target.find('?'));
}

std::optional<std::int64_t> parse_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > 18 || text.front() == '0') return std::nullopt;
  std::int64_t id = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), id);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || id <= 0)
    return std::nullopt;
  return id;
}

std::string quoted_for_log(std::string_view text, std::size_t limit) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (std::size_t index = 0; index < text.size() && index < limit; ++index) {
    const auto byte = static_cast<unsigned char>(text[index]);
    if (byte == '"' || byte == '\\') {
      quoted += '\\';
      quoted += static_cast<char>(byte);
    } else if (byte < 0x20 || byte >= 0x7F) {
      quoted += "\\x";
      quoted += hex[byte >> 4];
      quoted += hex[byte & 0x0F];
    } else {
      quoted += static_cast<char>(byte);
    }
  }
  if (text.size() > limit) quoted += "...";
  quoted += '"';
  return quoted;
}

namespace {

/// True when arrays and objects in `json_text` nest at most `limit` deep. Checked before parsing
/// because writing JSON back out recurses once per level.
bool nesting_within(std::string_view json_text, int limit) noexcept {
  int depth = 0;
  bool in_string = false;
  for (std::size_t index = 0; index < json_text.size(); ++index) {
    const char character = json_text[index];
    if (in_string) {
      if (character == '\\')
        ++index;
      else if (character == '"')
        in_string = false;
    } else if (character == '"') {
      in_string = true;
    } else if (character == '[' || character == '{') {
      if (++depth > limit) return false;
    } else if (character == ']' || character == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<nlohmann::json> parse_json_body(std::string_view body, std::string& problem) {
  if (!nesting_within(body, max_json_depth)) {
    problem = "the JSON body nests deeper than " + std::to_string(max_json_depth) + " levels";
    return std::nullopt;
  }
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    problem =
        body.empty() ? "the body is empty, but JSON was expected" : "the body is not valid JSON";
    return std::nullopt;
  }
  return parsed;
}

}  // namespace tachi_sample
