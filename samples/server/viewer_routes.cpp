#include "viewer_routes.hpp"

#include <charconv>

#include "viewer_assets.hpp"

namespace tachi_sample {

namespace {

constexpr std::string_view security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string json_escape(std::string_view text) {
  std::string escaped;
  for (char character : text) {
    if (character == '"' || character == '\\') escaped += '\\';
    const auto byte = static_cast<unsigned char>(character);
    // Messages quote request targets, which may hold any bytes: keep the JSON plain ASCII.
    escaped += byte < 0x20 || byte >= 0x7F ? '?' : character;
  }
  return escaped;
}

HttpAnswer answer(unsigned status, std::string_view content_type, std::string body) {
  HttpAnswer result;
  result.status = status;
  result.headers = {{"Content-Type", std::string(content_type)},
                    {"Cache-Control", "no-store"},
                    {"X-Content-Type-Options", "nosniff"},
                    {"Referrer-Policy", "no-referrer"},
                    {"Content-Security-Policy", std::string(security_policy)}};
  result.body = std::move(body);
  return result;
}

HttpAnswer json_error(unsigned status, std::string_view message) {
  return answer(status, "application/json", "{\"error\":\"" + json_escape(message) + "\"}");
}

HttpAnswer file_answer(std::string_view name) {
  auto file = find_viewer_file(name);
  if (!file) return json_error(404, "no viewer file \"" + std::string(name) + "\"");
  return answer(200, content_type_for(name), std::string(file->content()));
}

std::optional<tachi_trace::TraceId> parse_trace_id(std::string_view text) {
  std::string lower(text);
  for (auto& character : lower)
    if (character >= 'A' && character <= 'F') character = static_cast<char>(character + 32);
  auto trace_id = tachi_trace::TraceId::from_hex(lower);
  if (!trace_id || !trace_id->is_valid()) return std::nullopt;
  return trace_id;
}

/// The value of `name` in a query string ("a=1&limit=20"), if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto ampersand = query.find('&');
    std::string_view pair = query.substr(0, ampersand);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    query = ampersand == std::string_view::npos ? std::string_view() : query.substr(ampersand + 1);
  }
  return std::nullopt;
}

HttpAnswer list_answer(const tachi_trace::TraceViewerStore& store, std::string_view query) {
  std::size_t limit = tachi_trace::TraceViewerStore::no_limit;
  if (auto text = query_value(query, "limit")) {
    auto parsed = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (parsed.ec != std::errc() || parsed.ptr != text->data() + text->size() || limit == 0)
      return json_error(400,
                        "limit must be a positive integer, but got \"" + std::string(*text) + "\"");
  }
  return answer(200, "application/json", store.list_json(limit));
}

HttpAnswer trace_answer(const tachi_trace::TraceViewerStore& store, std::string_view id_text,
                        bool as_json) {
  auto trace_id = parse_trace_id(id_text);
  if (!trace_id)
    return json_error(404, '"' + std::string(id_text) +
                               "\" is not a trace id (32 hexadecimal digits, not all zero)");
  if (!as_json) return file_answer("trace.html");
  auto json = store.trace_json(*trace_id);
  if (!json)
    return json_error(
        404, "trace " + trace_id->to_hex() + " is not held by the viewer (never seen, or evicted)");
  return answer(200, "application/json", std::move(*json));
}

HttpAnswer route(const tachi_trace::TraceViewerStore& store, std::string_view path,
                 std::string_view query) {
  if (path == viewer_path || path == "/debug/traces/") return file_answer("index.html");
  if (path == "/debug/traces.json") return list_answer(store, query);
  std::string_view rest = path.substr(viewer_path.size() + 1);  // after "/debug/traces/"
  if (rest.starts_with("assets/")) return file_answer(rest.substr(7));
  const bool as_json = rest.ends_with(".json");
  if (as_json) rest.remove_suffix(5);
  return trace_answer(store, rest, as_json);
}

}  // namespace

std::string_view HttpAnswer::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

std::optional<HttpAnswer> answer_viewer_request(const tachi_trace::TraceViewerStore& store,
                                                std::string_view method, std::string_view target) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (path != viewer_path && path != "/debug/traces.json" &&
      !path.starts_with(std::string(viewer_path) + "/"))
    return std::nullopt;
  if (method != "GET" && method != "HEAD") {
    HttpAnswer refused = json_error(405, "the trace viewer answers GET and HEAD only");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  return route(store, path, query);
}

std::optional<EmbeddedFile> find_viewer_file(std::string_view name) noexcept {
  for (const auto& file : viewer_files())
    if (file.name == name) return file;
  return std::nullopt;
}

std::string_view content_type_for(std::string_view name) noexcept {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace tachi_sample
