// The trace viewer end to end: real spans from a TracerProvider into the viewer store, a real
// Beast server on 127.0.0.1 serving the embedded pages and the store's JSON, and a real headless
// Chromium rendering them; and the real tachi-sample-server binary's viewer after traffic.
// Screenshots are written to TACHI_TEST_ARTIFACT_DIR (tests/artifacts in the build folder):
// viewer-trace.png, viewer-list.png and sample-server-trace.png (the one docs/ shows).
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/child_process.hpp"
#include "tachi_trace/exporters/viewer.hpp"
#include "tachi_trace/tracer.hpp"
#include "viewer_routes.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace tachi_trace;
using namespace std::chrono_literals;

namespace {

// ---- a small Beast server for the viewer routes ---------------------------------------------

http::response<http::string_body> respond(const TraceViewerStore& store,
                                          const http::request<http::string_body>& request) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  auto answer = tachi_sample::answer_viewer_request(
      store, std::string_view(request.method_string()), std::string_view(request.target()));
  if (!answer) {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain");
    response.body() = "not found\n";
  } else {
    response.result(answer->status);
    for (const auto& [name, value] : answer->headers)
      response.set(name, value);
    if (request.method() != http::verb::head) response.body() = std::move(answer->body);
  }
  response.prepare_payload();
  return response;
}

// Callback style rather than coroutines: clang 14 cannot emit debug information for some
// coroutine frames ("Cannot represent a difference across sections"), and this test must build in
// every configuration.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const TraceViewerStore& store)
      : stream_(std::move(socket)), store_(store) {}

  void read_next() {
    request_ = {};
    stream_.expires_after(10s);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       if (!error) self->answer();
                     });
  }

 private:
  void answer() {
    response_ = respond(store_, request_);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code error, std::size_t) {
                        if (!error && self->request_.keep_alive()) self->read_next();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const TraceViewerStore& store_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept_next(tcp::acceptor& acceptor, const TraceViewerStore& store) {
  acceptor.async_accept([&acceptor, &store](beast::error_code error, tcp::socket socket) {
    if (error) return;
    std::make_shared<Session>(std::move(socket), store)->read_next();
    accept_next(acceptor, store);
  });
}

class ViewerServer {
 public:
  explicit ViewerServer(const TraceViewerStore& store)
      : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    accept_next(acceptor_, store);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ViewerServer() {
    io_.stop();
    thread_.join();
  }
  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(target);
  }

 private:
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// ---- headless Chromium ----------------------------------------------------------------------

constexpr const char* chromium_path = "/usr/bin/chromium";

struct ChromiumRun {
  bool finished_in_time = false;
  int exit_status = -1;
  std::string output;  // stdout: the DOM for --dump-dom
};

struct TemporaryFolder {
  TemporaryFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tachi-chromium-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

/// Runs Chromium headless with `extra` arguments in a fresh profile, as a child process in a
/// process group of its own, so that on timeout the whole group (browser, renderer, GPU and
/// utility processes) is killed.
ChromiumRun run_chromium(std::vector<std::string> extra, std::chrono::seconds timeout) {
  TemporaryFolder profile;
  std::vector<std::string> arguments = {"--headless",
                                        "--no-sandbox",
                                        "--disable-gpu",
                                        "--disable-quic",
                                        "--no-first-run",
                                        "--disable-background-networking",
                                        "--disable-component-update",
                                        "--disable-sync",
                                        "--disable-dev-shm-usage",
                                        "--hide-scrollbars",
                                        "--user-data-dir=" + profile.path.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  const auto log = std::filesystem::path(TACHI_TEST_ARTIFACT_DIR) / "chromium-stderr.log";
  auto [ended, output] =
      tachi_trace::testing::run_to_completion(chromium_path, arguments, {}, log, timeout);
  ChromiumRun run;
  run.finished_in_time = ended.exited;
  run.exit_status = ended.exited ? ended.code : -1;
  run.output = std::move(output);
  return run;
}

bool chromium_installed() {
  return access(chromium_path, X_OK) == 0;
}

// Render options: --virtual-time-budget lets the page's fetches and scripts finish before the DOM
// is dumped or the screenshot taken.
std::string dump_dom(const std::string& url) {
  auto run = run_chromium({"--virtual-time-budget=10000", "--dump-dom", url}, 90s);
  REQUIRE(run.finished_in_time);
  INFO("chromium's messages are in " << TACHI_TEST_ARTIFACT_DIR << "/chromium-stderr.log");
  REQUIRE(run.exit_status == 0);
  return run.output;
}

std::filesystem::path screenshot(const std::string& url, const std::string& file_name) {
  const std::filesystem::path path = std::filesystem::path(TACHI_TEST_ARTIFACT_DIR) / file_name;
  std::filesystem::remove(path);
  auto run = run_chromium({"--virtual-time-budget=10000", "--window-size=1360,1080",
                           "--screenshot=" + path.string(), url},
                          90s);
  REQUIRE(run.finished_in_time);
  REQUIRE(run.exit_status == 0);
  return path;
}

/// The opening tag of the element that carries `attribute` (e.g. data-span-id="...").
std::string opening_tag_with(const std::string& dom, const std::string& attribute) {
  const auto at = dom.find(attribute);
  if (at == std::string::npos) return {};
  const auto start = dom.rfind('<', at);
  return dom.substr(start, dom.find('>', at) - start + 1);
}

/// Texts of the elements with class `class_name`, in document order.
std::vector<std::string> texts_of_class(const std::string& dom, const std::string& class_name) {
  std::vector<std::string> texts;
  const std::regex element("class=\"" + class_name + "\"[^>]*>([^<]*)<");
  for (std::sregex_iterator match(dom.begin(), dom.end(), element), end; match != end; ++match)
    texts.push_back((*match)[1]);
  return texts;
}

// ---- the traces the pages show ----------------------------------------------------------------

struct SampleTraces {
  SampleTraces() {
    std::vector<std::unique_ptr<SpanExporter>> exporters;
    exporters.push_back(make_viewer_exporter(store));
    ProviderSettings settings;
    settings.resource = Resource(Attributes{{"service.name", "tachi-sample"}});
    provider.emplace(settings, std::move(exporters));
    record_execution(provider->tracer("tachi_trace.beast", "0.1.0"));
    record_health_check(provider->tracer("tachi_trace.beast", "0.1.0"));
    REQUIRE(provider->force_flush());
  }

  // Times are explicit so the waterfall is the same on every run.
  void record_execution(const Tracer& tracer) {
    const SystemTime start = std::chrono::system_clock::now() - 3s;
    auto at = [&](int millis) { return start + std::chrono::milliseconds(millis); };
    auto request = tracer.start_span("POST /api/specs/1/execute",
                                     {.kind = SpanKind::server, .start_time = at(0)});
    request.set_attribute("http.request.method", "POST")
        .set_attribute("http.route", "/api/specs/{id}/execute");
    execution_trace = request.context().trace_id;
    request_span = request.context().span_id;
    auto request_scope = request.activate();
    auto select =
        tracer.start_span("db.select specs", {.kind = SpanKind::client, .start_time = at(2)});
    select.set_attribute("db.system.name", "sqlite")
        .set_attribute("db.query.text", "SELECT * FROM specs WHERE id = ?");
    select.end(at(5));
    select_span = select.context().span_id;
    auto execution = tracer.start_span("llm.execution", {.start_time = at(6)});
    execution_span = execution.context().span_id;
    {
      auto execution_scope = execution.activate();
      auto backend =
          tracer.start_span("backend.generate", {.kind = SpanKind::client, .start_time = at(8)});
      backend.set_attribute("llm.model", "mock-small").set_attribute("llm.prompt_tokens", 412);
      backend.add_event("retry", {{"attempt", 2}}, at(40));
      backend.set_status(StatusCode::error, "backend answered 503");
      backend.end(at(71));
      backend_span = backend.context().span_id;
      auto fallback = tracer.start_span("backend.generate fallback",
                                        {.kind = SpanKind::client, .start_time = at(73)});
      fallback.set_attribute("llm.model", "mock-large");
      fallback.end(at(118));
    }
    execution.end(at(120));
    auto insert =
        tracer.start_span("db.insert runs", {.kind = SpanKind::client, .start_time = at(121)});
    insert.end(at(126));
    request.set_attribute("http.response.status_code", 200);
    request.end(at(128));
  }

  void record_health_check(const Tracer& tracer) {
    const SystemTime start = std::chrono::system_clock::now() - 1s;
    auto health = tracer.start_span(
        "GET /healthz", {.kind = SpanKind::server, .parent = Context(), .start_time = start});
    health.end(start + 300us);
    health_trace = health.context().trace_id;
  }

  std::shared_ptr<TraceViewerStore> store = std::make_shared<TraceViewerStore>();
  std::optional<TracerProvider> provider;
  TraceId execution_trace;
  TraceId health_trace;
  SpanId request_span, select_span, execution_span, backend_span;
};

}  // namespace

TEST_CASE("the viewer routes answer pages, JSON and errors") {
  TraceViewerStore store;
  using tachi_sample::answer_viewer_request;
  CHECK_FALSE(answer_viewer_request(store, "GET", "/api/specs"));
  CHECK_FALSE(answer_viewer_request(store, "GET", "/debug/tracesx"));

  auto list_page = answer_viewer_request(store, "GET", "/debug/traces");
  REQUIRE(list_page);
  CHECK(list_page->status == 200);
  CHECK(list_page->header("Content-Type") == "text/html; charset=utf-8");
  CHECK_THAT(list_page->body, Catch::Contains("data-page=\"list\""));
  CHECK_THAT(std::string(list_page->header("Content-Security-Policy")),
             Catch::Contains("script-src 'self'"));

  auto trace_page =
      answer_viewer_request(store, "GET", "/debug/traces/4BF92F3577B34DA6A3CE929D0E0E4736");
  REQUIRE(trace_page);
  CHECK(trace_page->status == 200);
  CHECK_THAT(trace_page->body, Catch::Contains("data-page=\"trace\""));

  auto script = answer_viewer_request(store, "GET", "/debug/traces/assets/viewer.js");
  REQUIRE(script);
  CHECK(script->header("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(answer_viewer_request(store, "GET", "/debug/traces/assets/viewer.css")
            ->header("Content-Type") == "text/css; charset=utf-8");
  CHECK(answer_viewer_request(store, "GET", "/debug/traces/assets/secret.txt")->status == 404);

  auto list = answer_viewer_request(store, "GET", "/debug/traces.json?limit=5");
  REQUIRE(list);
  CHECK(list->header("Content-Type") == "application/json");
  CHECK(nlohmann::json::parse(list->body)["traces"].empty());

  auto bad_limit = answer_viewer_request(store, "GET", "/debug/traces.json?limit=lots");
  CHECK(bad_limit->status == 400);
  CHECK(bad_limit->body == R"({"error":"limit must be a positive integer, but got \"lots\""})");

  auto unknown =
      answer_viewer_request(store, "GET", "/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736.json");
  CHECK(unknown->status == 404);
  CHECK(
      unknown->body ==
      R"json({"error":"trace 4bf92f3577b34da6a3ce929d0e0e4736 is not held by the viewer (never seen, or evicted)"})json");
  auto not_an_id = answer_viewer_request(store, "GET", "/debug/traces/zzz");
  CHECK(not_an_id->status == 404);
  CHECK_THAT(not_an_id->body, Catch::Contains("is not a trace id"));

  auto post = answer_viewer_request(store, "POST", "/debug/traces.json");
  CHECK(post->status == 405);
  CHECK(post->header("Allow") == "GET, HEAD");
}

TEST_CASE("headless Chromium renders the waterfall with nesting, timing and the error") {
  if (!chromium_installed()) {
    WARN("SKIPPED: " << chromium_path
                     << " is not installed (scripts/install-deps test installs it)");
    return;
  }
  std::filesystem::create_directories(TACHI_TEST_ARTIFACT_DIR);
  SampleTraces traces;
  ViewerServer server(*traces.store);
  const std::string trace_url = server.url("/debug/traces/" + traces.execution_trace.to_hex());
  const std::string selected = "#span=" + traces.backend_span.to_hex();

  const std::string dom = dump_dom(trace_url + selected);
  CHECK_THAT(dom, Catch::Contains("data-state=\"ready\""));
  CHECK(texts_of_class(dom, "span-name") ==
        std::vector<std::string>{"POST /api/specs/1/execute", "db.select specs", "llm.execution",
                                 "backend.generate", "backend.generate fallback",
                                 "db.insert runs"});
  auto row = [&](const SpanId& span) {
    return opening_tag_with(dom, "data-span-id=\"" + span.to_hex() + "\"");
  };
  CHECK_THAT(row(traces.request_span), Catch::Contains("data-depth=\"0\""));
  CHECK_THAT(row(traces.select_span), Catch::Contains("data-depth=\"1\""));
  CHECK_THAT(row(traces.execution_span), Catch::Contains("data-depth=\"1\""));
  CHECK_THAT(row(traces.backend_span), Catch::Contains("data-depth=\"2\""));
  CHECK_THAT(row(traces.backend_span),
             Catch::Contains("data-parent-id=\"" + traces.execution_span.to_hex() + "\""));
  CHECK_THAT(row(traces.backend_span), Catch::Contains("class=\"span-row error selected\""));
  CHECK_THAT(row(traces.select_span), Catch::Contains("class=\"span-row\""));
  CHECK(texts_of_class(dom, "error-mark") == std::vector<std::string>{"error"});
  // The selected span's details: status, attributes and events.
  CHECK_THAT(dom, Catch::Contains("data-details-for=\"" + traces.backend_span.to_hex() + "\""));
  CHECK_THAT(dom, Catch::Contains("error: backend answered 503"));
  CHECK_THAT(dom, Catch::Contains("<td>llm.model</td><td class=\"value\">mock-small</td>"));
  CHECK_THAT(dom, Catch::Contains("retry  +40.0 ms"));
  // Timing: the trace lasts 128 ms, the backend call starts at 8 ms and lasts 63 ms.
  CHECK_THAT(dom, Catch::Contains("128.0 ms"));
  CHECK_THAT(row(traces.backend_span), Catch::Contains("data-status=\"error\""));

  const auto picture = screenshot(trace_url + selected, "viewer-trace.png");
  CHECK(std::filesystem::file_size(picture) > 10000);
}

TEST_CASE("headless Chromium renders the trace list with root names and the error marker") {
  if (!chromium_installed()) {
    WARN("SKIPPED: " << chromium_path
                     << " is not installed (scripts/install-deps test installs it)");
    return;
  }
  std::filesystem::create_directories(TACHI_TEST_ARTIFACT_DIR);
  SampleTraces traces;
  ViewerServer server(*traces.store);

  const std::string dom = dump_dom(server.url("/debug/traces"));
  CHECK_THAT(dom, Catch::Contains("data-state=\"ready\""));
  // Most recently started first.
  CHECK(texts_of_class(dom, "root-name") ==
        std::vector<std::string>{"GET /healthz", "POST /api/specs/1/execute"});
  CHECK_THAT(opening_tag_with(dom, "data-trace-id=\"" + traces.execution_trace.to_hex() + "\""),
             Catch::Contains("class=\"error\""));
  CHECK(texts_of_class(dom, "badge error") == std::vector<std::string>{"1 error"});
  CHECK(texts_of_class(dom, "badge ok") == std::vector<std::string>{"ok"});
  CHECK_THAT(dom, Catch::Contains("2 of at most 1000 traces held in this process"));

  const auto picture = screenshot(server.url("/debug/traces"), "viewer-list.png");
  CHECK(std::filesystem::file_size(picture) > 10000);
}

namespace {

/// One blocking request to 127.0.0.1:`port` (reads bounded by 10 s); the body, "" on failure.
std::string exchange(std::uint16_t port, http::verb method, const std::string& target,
                     const std::string& body = {}) {
  net::io_context io;
  tcp::socket socket(io);
  beast::error_code error;
  socket.connect({net::ip::make_address_v4("127.0.0.1"), port}, error);
  if (error) return {};
  const timeval limit{10, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request, error);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!error) http::read(socket, buffer, response, error);
  return error ? std::string() : std::move(response.body());
}

/// Waits (at most 15 s) until the viewer of the server on `port` holds `spans` spans of `trace`.
bool viewer_holds(std::uint16_t port, const std::string& trace, std::size_t spans) {
  for (int attempt = 0; attempt < 750; ++attempt) {
    auto held = nlohmann::json::parse(
        exchange(port, http::verb::get, "/debug/traces/" + trace + ".json"), nullptr, false);
    if (held.is_object() && held.contains("spans") && held["spans"].size() >= spans) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("headless Chromium shows an execution traced by the real sample server") {
  if (!chromium_installed()) {
    WARN("SKIPPED: " << chromium_path
                     << " is not installed (scripts/install-deps test installs it)");
    return;
  }
  std::filesystem::create_directories(TACHI_TEST_ARTIFACT_DIR);
  TemporaryFolder folder;
  const auto log = std::filesystem::path(TACHI_TEST_ARTIFACT_DIR) / "sample-server-browser.log";
  std::filesystem::remove(log);
  tachi_trace::testing::ChildProcess server(TACHI_SAMPLE_SERVER, {},
                                            {{"TACHI_LISTEN", "127.0.0.1:0"},
                                             {"TACHI_DB", (folder.path / "sample.db").string()},
                                             {"OTEL_BSP_SCHEDULE_DELAY", "20"}},
                                            log);
  const auto line = server.wait_for_output("listening on http://127.0.0.1:", 30s);
  INFO(server.error_log());
  REQUIRE(line);
  const auto port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  // Some traffic, so the list has more than one trace; the execution is the one to look at.
  exchange(port, http::verb::get, "/api/specs");
  exchange(port, http::verb::get, "/api/specs/404");
  const auto answer = nlohmann::json::parse(
      exchange(port, http::verb::post, "/api/specs/1/execute", R"({"input": "printer on fire"})"),
      nullptr, false);
  REQUIRE(answer.contains("trace_id"));
  const std::string trace = answer["trace_id"];
  REQUIRE(viewer_holds(port, trace, 7));

  const std::string trace_url =
      "http://127.0.0.1:" + std::to_string(port) + "/debug/traces/" + trace;
  const std::string dom = dump_dom(trace_url);
  CHECK_THAT(dom, Catch::Contains("data-state=\"ready\""));
  CHECK(texts_of_class(dom, "span-name") ==
        std::vector<std::string>{"POST /api/specs/{id}/execute", "db.select", "llm.execution",
                                 "backend.mock.generate", "POST", "POST /mock/llm/generate",
                                 "db.insert"});
  std::vector<std::string> depths;
  const std::regex row("<[^>]*class=\"span-row[^\"]*\"[^>]*>");
  const std::regex depth("data-depth=\"([0-9]+)\"");
  for (std::sregex_iterator match(dom.begin(), dom.end(), row), end; match != end; ++match) {
    std::smatch found;
    const std::string tag = match->str();
    if (std::regex_search(tag, found, depth)) depths.push_back(found[1]);
  }
  CHECK(depths == std::vector<std::string>{"0", "1", "1", "2", "3", "4", "1"});
  CHECK(texts_of_class(dom, "error-mark").empty());

  const std::string list = dump_dom("http://127.0.0.1:" + std::to_string(port) + "/debug/traces");
  CHECK_THAT(list, Catch::Contains("POST /api/specs/{id}/execute"));
  CHECK_THAT(list, Catch::Contains("GET /api/specs/{id}"));

  // The screenshot selects the backend's SERVER span, so its attributes are shown too.
  const auto held = nlohmann::json::parse(
      exchange(port, http::verb::get, "/debug/traces/" + trace + ".json"), nullptr, false);
  std::string selected;
  for (const auto& span : held["spans"])
    if (span["name"] == "POST /mock/llm/generate") selected = span["span_id"];
  REQUIRE_FALSE(selected.empty());
  const auto picture = screenshot(trace_url + "#span=" + selected, "sample-server-trace.png");
  CHECK(std::filesystem::file_size(picture) > 10000);
  server.send_signal(SIGTERM);
  const auto ended = server.wait_for_exit(20s);
  REQUIRE(ended);
  CHECK(ended->code == 0);
}
