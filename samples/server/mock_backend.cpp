// The built-in mock LLM backend: POST /mock/llm/generate {"model": "...", "prompt": "..."} answers
// a made-up completion after TACHI_MOCK_LATENCY, so the sample shows a real cross-process-style
// call (its own socket, its own SERVER span) without any model or network access.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>

#include "sample_app.hpp"
#include "tachi_trace/traced.hpp"

namespace tachi_sample {

namespace {

namespace net = boost::asio;
namespace trace = tachi_trace;
using nlohmann::json;

/// The longest prompt the mock reads, in bytes.
constexpr std::size_t max_prompt_size = 64 * 1024;

struct MockRequest {
  std::string model;
  std::string prompt;
};

std::optional<MockRequest> read_mock_request(const Request& request, std::string& problem) {
  auto body = parse_json_body(request.body(), problem);
  if (!body) return std::nullopt;
  if (!body->is_object() || !body->contains("prompt") || !(*body)["prompt"].is_string()) {
    problem = "the body must be a JSON object with a \"prompt\" string";
    return std::nullopt;
  }
  MockRequest parsed{"mock-small", (*body)["prompt"].get<std::string>()};
  if (parsed.prompt.size() > max_prompt_size) {
    problem = "the prompt is longer than 65536 bytes";
    return std::nullopt;
  }
  if (body->contains("model") && (*body)["model"].is_string()) parsed.model = (*body)["model"];
  return parsed;
}

/// Whitespace-separated words: the mock's idea of tokens.
std::int64_t count_words(std::string_view text) {
  std::int64_t words = 0;
  bool in_word = false;
  for (char character : text) {
    const bool space = character == ' ' || character == '\n' || character == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

/// A deterministic completion: the same prompt always gets the same answer.
json complete(const MockRequest& request) {
  const std::int64_t input_tokens = count_words(request.prompt);
  std::string excerpt = request.prompt.substr(0, 60);
  if (request.prompt.size() > excerpt.size()) excerpt += "...";
  std::ostringstream text;
  text << "[" << request.model << "] A mock answer to \"" << excerpt << "\" (" << input_tokens
       << " words read).";
  const std::string completion = text.str();
  json usage = {{"input_tokens", input_tokens}, {"output_tokens", count_words(completion)}};
  return {{"model", request.model}, {"text", completion}, {"usage", std::move(usage)}};
}

}  // namespace

net::awaitable<Response> mock_generate(const SampleServices& services, const Request& request) {
  std::string problem;
  const auto parsed = read_mock_request(request, problem);
  if (!parsed) co_return error_response(request, http::status::bad_request, problem);
  if (services.mock_latency.count() > 0) {
    net::steady_timer thinking(co_await net::this_coro::executor, services.mock_latency);
    co_await thinking.async_wait(net::use_awaitable);
  }
  const json completion = complete(*parsed);
  trace::span_attribute("gen_ai.request.model", parsed->model);
  trace::span_attribute("gen_ai.usage.output_tokens",
                        completion.at("usage").at("output_tokens").get<std::int64_t>());
  co_return json_response(request, http::status::ok, completion);
}

}  // namespace tachi_sample
