#include "trace_context_test.hpp"

#include "sample_app.hpp"
#include "tachi_trace/beast_client.hpp"
#include "tachi_trace/url.hpp"

namespace tachi_sample {

namespace {

namespace net = boost::asio;
namespace trace = tachi_trace;
using nlohmann::json;
using trace::Error;
using trace::Expected;

Error refused(std::string message) {
  return Error{Error::Code::invalid_argument, std::move(message)};
}

/// One element of the array: {"url": "http://...", "arguments": <any JSON>}.
Expected<TestCall> read_call(const json& element, std::size_t index) {
  const std::string where = "element " + std::to_string(index) + ": ";
  if (!element.is_object() || !element.contains("url") || !element["url"].is_string())
    return refused(where + "each element must be an object with a \"url\" string");
  std::string url = element["url"].get<std::string>();
  if (url.size() > max_test_url_size)
    return refused(where + "the url is longer than " + std::to_string(max_test_url_size) +
                   " bytes");
  auto parsed = trace::parse_http_url(url);
  if (!url.starts_with("http://") || !parsed)
    return refused(where + "only http:// URLs are called, but got " +
                   json(url).dump(-1, ' ', false, json::error_handler_t::replace));
  const json arguments = element.contains("arguments") ? element["arguments"] : json::array();
  return TestCall{std::move(url), arguments.dump(-1, ' ', false, json::error_handler_t::replace)};
}

/// What one call gave, for the answer.
json call_result(const TestCall& call, const Expected<trace::HttpClientResponse>& response) {
  json result;
  result["url"] = call.url;
  if (response)
    result["status"] = response->result_int();
  else
    result["error"] = response.error().message;
  return result;
}

}  // namespace

Expected<std::vector<TestCall>> parse_test_calls(std::string_view body) {
  std::string problem;
  auto parsed = parse_json_body(body, problem);
  if (!parsed) return refused(problem);
  if (!parsed->is_array())
    return refused("the body must be a JSON array of {\"url\": ..., \"arguments\": ...}");
  if (parsed->size() > max_test_calls)
    return refused("at most " + std::to_string(max_test_calls) + " calls per request, but got " +
                   std::to_string(parsed->size()));
  std::vector<TestCall> calls;
  for (std::size_t index = 0; index < parsed->size(); ++index) {
    auto call = read_call((*parsed)[index], index);
    if (!call) return call.error();
    calls.push_back(std::move(*call));
  }
  return calls;
}

net::awaitable<Response> run_trace_context_test(const SampleServices& services,
                                                const Request& request) {
  if (request.body().size() > max_test_body_size)
    co_return error_response(request, http::status::payload_too_large,
                             "the body is larger than 65536 bytes");
  auto calls = parse_test_calls(request.body());
  if (!calls) co_return error_response(request, http::status::bad_request, calls.error().message);
  json results = json::array();
  for (const TestCall& call : *calls) {
    auto sent = trace::traced_http_post(call.url, call.arguments, "application/json",
                                        services.client_options);
    auto response = co_await std::move(sent);
    results.push_back(call_result(call, response));
  }
  json body;
  body["results"] = std::move(results);
  co_return json_response(request, http::status::ok, body);
}

}  // namespace tachi_sample
