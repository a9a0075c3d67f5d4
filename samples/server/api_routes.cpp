// The spec routes: listing, showing and executing the LLM specs held in SQLite.
#include <chrono>
#include <cstdio>

#include "sample_app.hpp"
#include "tachi_trace/asio.hpp"

namespace tachi_sample {

namespace {

namespace net = boost::asio;
namespace trace = tachi_trace;
using nlohmann::json;
using trace::Error;
using trace::Expected;

/// The longest `input` an execution accepts, in bytes.
constexpr std::size_t max_input_size = 8 * 1024;

const trace::QueryOptions& sqlite_query() {
  static const trace::QueryOptions options{.system = "sqlite"};
  return options;
}

// ---- the database, on the pool, each call in a db.* span ------------------------------------

net::awaitable<Expected<std::vector<Spec>>> load_specs(const SampleServices& services) {
  const SpecStore* store = &services.store;
  return trace::traced_query(
      "select", "specs",
      trace::offload(services.database_pool, [store] { return store->list_specs(); }),
      sqlite_query());
}

net::awaitable<Expected<std::optional<Spec>>> load_spec(const SampleServices& services,
                                                        std::int64_t id) {
  const SpecStore* store = &services.store;
  return trace::traced_query(
      "select", "specs",
      trace::offload(services.database_pool, [store, id] { return store->get_spec(id); }),
      sqlite_query());
}

net::awaitable<Expected<std::int64_t>> store_run(const SampleServices& services,
                                                 std::int64_t spec_id, std::string output,
                                                 std::chrono::nanoseconds duration,
                                                 trace::TraceId trace_id) {
  SpecStore* store = &services.store;
  auto insert = [store, spec_id, output = std::move(output), duration, trace_id] {
    return store->record_run(spec_id, output, duration, trace_id);
  };
  return trace::traced_query(
      "insert", "runs", trace::offload(services.database_pool, std::move(insert)), sqlite_query());
}

// ---- answers ----------------------------------------------------------------------------------

json spec_json(const Spec& spec) {
  return {{"id", spec.id},
          {"name", spec.name},
          {"backend", spec.backend},
          {"model", spec.model},
          {"prompt", spec.prompt}};
}

/// The trace and span ids a client can quote (null when tracing is off).
void add_ids(json& body, const trace::SpanContext& server_span) {
  body["trace_id"] = server_span.trace_id.is_valid() ? json(server_span.trace_id.to_hex()) : json();
  body["span_id"] = server_span.span_id.is_valid() ? json(server_span.span_id.to_hex()) : json();
}

Response database_failure(const Request& request, const Error& error) {
  return error_response(request, http::status::internal_server_error,
                        "the database failed: " + error.message);
}

Response spec_not_found(const Request& request, std::int64_t id) {
  return error_response(request, http::status::not_found,
                        "there is no spec " + std::to_string(id) + " (GET /api/specs lists them)");
}

// ---- the backend call -------------------------------------------------------------------------

struct BackendReply {
  std::string text;
  std::string model;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

std::int64_t count_of(const json& usage, const char* key) {
  auto found = usage.find(key);
  return found != usage.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

Expected<BackendReply> read_backend_reply(const trace::HttpClientResponse& response,
                                          std::string_view url) {
  const unsigned status = response.result_int();
  if (status < 200 || status > 299)
    return Error{Error::Code::io_failure, "the backend at " + std::string(url) + " answered " +
                                              std::to_string(status) + " " +
                                              std::string(response.reason())};
  auto body = json::parse(response.body(), nullptr, false);
  if (!body.is_object() || !body.contains("text") || !body["text"].is_string())
    return Error{Error::Code::io_failure, "the backend at " + std::string(url) +
                                              " did not answer a JSON object with a \"text\" "
                                              "string"};
  BackendReply reply;
  reply.text = body["text"].get<std::string>();
  if (body.contains("model") && body["model"].is_string()) reply.model = body["model"];
  if (body.contains("usage") && body["usage"].is_object()) {
    reply.input_tokens = count_of(body["usage"], "input_tokens");
    reply.output_tokens = count_of(body["usage"], "output_tokens");
  }
  return reply;
}

/// POSTs the prompt to the backend inside a CLIENT span (the backend span is current here, so it
/// is that span's child) and reads the completion.
net::awaitable<Expected<BackendReply>> call_backend(const SampleServices& services,
                                                    std::string model, std::string prompt) {
  json request_body;
  request_body["model"] = std::move(model);
  request_body["prompt"] = std::move(prompt);
  auto lease = services.backend_clients->lease();
  auto call = lease.client().post(services.backend_url, request_body.dump(), "application/json");
  auto response = co_await std::move(call);
  if (!response) co_return response.error();
  auto reply = read_backend_reply(*response, services.backend_url);
  if (reply) {
    trace::span_attribute("gen_ai.usage.input_tokens", reply->input_tokens);
    trace::span_attribute("gen_ai.usage.output_tokens", reply->output_tokens);
  }
  co_return reply;
}

/// The prompt with its first `{{...}}` placeholder replaced by `input` (when given).
std::string fill_prompt(std::string prompt, const std::optional<std::string>& input) {
  if (!input) return prompt;
  const auto open = prompt.find("{{");
  const auto close = open == std::string::npos ? open : prompt.find("}}", open);
  if (close == std::string::npos) return prompt + "\n" + *input;
  return prompt.replace(open, close + 2 - open, *input);
}

/// The optional body of an execution: `{"input": "..."}`. Sets `problem` when it is unusable.
std::optional<std::string> execution_input(const Request& request, std::string& problem) {
  if (request.body().empty()) return std::nullopt;
  auto body = parse_json_body(request.body(), problem);
  if (!body) return std::nullopt;
  if (!body->is_object()) {
    problem = "the body must be a JSON object such as {\"input\": \"...\"}";
  } else if (body->contains("input")) {
    const json& input = (*body)["input"];
    if (input.is_string() && input.get_ref<const std::string&>().size() <= max_input_size)
      return input.get<std::string>();
    problem = "\"input\" must be a string of at most 8192 bytes";
  }
  return std::nullopt;
}

Response backend_failure(const Request& request, const Error& error,
                         const trace::SpanContext& server_span) {
  json body = {{"error", error.message}};
  add_ids(body, server_span);
  const auto status = error.code == Error::Code::timed_out ? http::status::gateway_timeout
                                                           : http::status::bad_gateway;
  return json_response(request, status, body);
}

json run_json(std::int64_t run_id, const Spec& spec, const BackendReply& reply,
              std::chrono::nanoseconds duration, const trace::SpanContext& server_span) {
  json body = {{"run_id", run_id},
               {"spec_id", spec.id},
               {"model", reply.model.empty() ? spec.model : reply.model},
               {"output", reply.text},
               {"duration_ms", std::chrono::duration<double, std::milli>(duration).count()}};
  add_ids(body, server_span);
  return body;
}

/// Executes `spec` (llm.execution > backend.<name>.generate > the HTTP call) and records the run.
net::awaitable<Response> run_spec(const SampleServices& services, const Request& request, Spec spec,
                                  std::string prompt, trace::SpanContext server_span) {
  const auto started = std::chrono::steady_clock::now();
  auto execution = trace::traced_execution(
      spec.id, spec.backend, spec.model,
      trace::traced_backend_call(spec.backend, "generate",
                                 call_backend(services, spec.model, std::move(prompt))));
  auto reply = co_await std::move(execution);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (!reply) co_return backend_failure(request, reply.error(), server_span);
  auto recording = store_run(services, spec.id, reply->text, elapsed, server_span.trace_id);
  auto run_id = co_await std::move(recording);
  if (!run_id) co_return database_failure(request, run_id.error());
  const json body = run_json(*run_id, spec, *reply, elapsed, server_span);
  co_return json_response(request, http::status::ok, body);
}

}  // namespace

net::awaitable<Response> list_specs(const SampleServices& services, const Request& request) {
  auto query = load_specs(services);
  auto specs = co_await std::move(query);
  if (!specs) co_return database_failure(request, specs.error());
  json list = json::array();
  for (const auto& spec : *specs)
    list.push_back(spec_json(spec));
  json body;
  body["specs"] = std::move(list);
  co_return json_response(request, http::status::ok, body);
}

net::awaitable<Response> show_spec(const SampleServices& services, const Request& request,
                                   std::int64_t id) {
  auto query = load_spec(services, id);
  auto spec = co_await std::move(query);
  if (!spec) co_return database_failure(request, spec.error());
  if (!*spec) co_return spec_not_found(request, id);
  co_return json_response(request, http::status::ok, spec_json(**spec));
}

net::awaitable<Response> execute_spec(const SampleServices& services, const Request& request,
                                      std::int64_t id, trace::SpanContext server_span) {
  std::string problem;
  const auto input = execution_input(request, problem);
  if (!problem.empty()) co_return error_response(request, http::status::bad_request, problem);
  auto query = load_spec(services, id);
  auto spec = co_await std::move(query);
  if (!spec) co_return database_failure(request, spec.error());
  if (!*spec) co_return spec_not_found(request, id);
  std::string prompt = fill_prompt((*spec)->prompt, input);
  auto run =
      run_spec(services, request, std::move(**spec), std::move(prompt), std::move(server_span));
  co_return co_await std::move(run);
}

}  // namespace tachi_sample
