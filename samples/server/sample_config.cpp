#include "sample_config.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <thread>

#include "tachi_trace/url.hpp"

namespace tachi_sample {

namespace {

namespace net = boost::asio;
using tachi_trace::ConfigDiagnostic;
using tachi_trace::Environment;
using tachi_trace::Error;
using enum tachi_trace::VariableType;

constexpr tachi_trace::VariableSpec sample_variables[] = {
    {"TACHI_LISTEN", text, "127.0.0.1:8080", "",
     "address and port to serve HTTP on: host:port or [IPv6]:port; port 0 picks a free port (the "
     "chosen one is printed)"},
    {"TACHI_DB", file_path, "tachi-sample.db", "",
     "SQLite database of specs and runs; created with example specs when missing"},
    {"TACHI_BACKEND_URL", url, "", "",
     "LLM backend (http:// or https://) that POST /api/specs/{id}/execute calls; unset: the mock "
     "backend this process serves on a loopback port of its own"},
    {"TACHI_BACKEND_CA_FILE", file_path, "", "",
     "PEM file of the CAs trusted for an https backend; unset: the system's CA store"},
    {"TACHI_BACKEND_TIMEOUT", milliseconds, "30000", "",
     "longest time one backend call may take (0: no limit)"},
    {"TACHI_MOCK_LATENCY", milliseconds, "25", "",
     "how long the built-in mock backend takes to answer"},
    {"TACHI_IO_THREADS", count, "hardware threads, at least 2", "", "threads serving HTTP (1-256)"},
    {"TACHI_SHUTDOWN_GRACE", milliseconds, "10000", "",
     "on SIGINT or SIGTERM, how long requests in flight may take to finish before they are cut"},
    {"TACHI_ACCESS_LOG", choice, "on", "on|off",
     "one line per request on standard error: method, target, status, duration, trace_id, span_id"},
    {"TACHI_VIEWER", choice, "on", "on|off",
     "serve the built-in trace viewer on /debug/traces (kept in process, no backend needed)"},
    {"TACHI_VIEWER_TRACES", count, "1000", "",
     "most recent traces the viewer keeps (1-100000); older ones are evicted"},
    {"TACHI_VIEWER_REMOTE", choice, "off", "on|off",
     "on: serve the viewer also when TACHI_LISTEN is not a loopback address (it shows every "
     "request's attributes to whoever can reach the server)"},
    {"TACHI_TEST_ROUTE", choice, "auto", "auto|on|off",
     "serve POST /test, the W3C Trace Context test-suite protocol (it POSTs to any http:// URL it "
     "is given); auto: only when TACHI_LISTEN is a loopback address"},
};

constexpr unsigned max_io_threads = 256;

void warn(std::vector<ConfigDiagnostic>& diagnostics, std::string variable,
          const std::string& value, std::string_view expectation, std::string_view fallback) {
  std::string message = variable + " must be " + std::string(expectation) + ", but got \"" + value +
                        "\"; using " + std::string(fallback);
  diagnostics.push_back({std::move(variable), std::move(message)});
}

std::optional<std::uint64_t> parse_number(std::string_view text, std::uint64_t maximum) {
  std::uint64_t number = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size())
    return std::nullopt;
  if (number > maximum) return std::nullopt;
  return number;
}

std::optional<std::size_t> parse_trace_count(const std::string& text) {
  auto count = parse_number(text, max_viewer_traces);
  if (!count || *count < 1) return std::nullopt;
  return static_cast<std::size_t>(*count);
}

/// Reads an on|off switch; anything else is a diagnostic and `fallback` stays.
bool read_switch(const Environment& environment, std::string_view variable, bool fallback,
                 std::vector<ConfigDiagnostic>& diagnostics) {
  auto value = environment.get(variable);
  if (!value) return fallback;
  if (*value == "on") return true;
  if (*value == "off") return false;
  warn(diagnostics, std::string(variable), *value, "on or off", fallback ? "on" : "off");
  return fallback;
}

/// Reads a duration in milliseconds (at most one day); anything else is a diagnostic.
std::chrono::milliseconds read_milliseconds(const Environment& environment,
                                            std::string_view variable,
                                            std::chrono::milliseconds fallback,
                                            std::vector<ConfigDiagnostic>& diagnostics) {
  auto value = environment.get(variable);
  if (!value) return fallback;
  if (auto number = parse_number(*value, 86'400'000)) return std::chrono::milliseconds(*number);
  warn(diagnostics, std::string(variable), *value, "a number of milliseconds from 0 to 86400000",
       std::to_string(fallback.count()));
  return fallback;
}

void read_listen(const Environment& environment, ServerConfig& config,
                 std::vector<ConfigDiagnostic>& diagnostics) {
  auto value = environment.get("TACHI_LISTEN");
  if (!value) return;
  auto endpoint = parse_listen_address(*value);
  if (endpoint) {
    config.listen = *endpoint;
    return;
  }
  diagnostics.push_back({"TACHI_LISTEN", "TACHI_LISTEN must be host:port or [IPv6]:port (" +
                                             endpoint.error().message + "); using " +
                                             http_origin(config.listen).substr(7)});
}

void read_backend(const Environment& environment, ServerConfig& config,
                  std::vector<ConfigDiagnostic>& diagnostics) {
  auto value = environment.get("TACHI_BACKEND_URL");
  if (!value) return;
  if (tachi_trace::parse_http_url(*value)) {
    config.backend_url = *value;
    return;
  }
  warn(diagnostics, "TACHI_BACKEND_URL", *value, "an http:// or https:// URL",
       "the built-in mock backend");
}

void read_io_threads(const Environment& environment, ServerConfig& config,
                     std::vector<ConfigDiagnostic>& diagnostics) {
  config.io_threads = default_io_threads();
  auto value = environment.get("TACHI_IO_THREADS");
  if (!value) return;
  auto count = parse_number(*value, max_io_threads);
  if (count && *count >= 1) {
    config.io_threads = static_cast<unsigned>(*count);
    return;
  }
  warn(diagnostics, "TACHI_IO_THREADS", *value, "an integer from 1 to 256",
       std::to_string(config.io_threads));
}

void read_test_route(const Environment& environment, ServerConfig& config,
                     std::vector<ConfigDiagnostic>& diagnostics) {
  auto value = environment.get("TACHI_TEST_ROUTE");
  if (!value) return;
  if (*value == "auto")
    config.test_route = TestRouteMode::loopback_only;
  else if (*value == "on")
    config.test_route = TestRouteMode::on;
  else if (*value == "off")
    config.test_route = TestRouteMode::off;
  else
    warn(diagnostics, "TACHI_TEST_ROUTE", *value, "auto, on or off", "auto");
}

tachi_trace::Expected<unsigned short> parse_port(std::string_view text) {
  auto port = parse_number(text, 65535);
  if (!port)
    return Error{
        Error::Code::invalid_argument,
        "the port must be a number from 0 to 65535, but got \"" + std::string(text) + "\""};
  return static_cast<unsigned short>(*port);
}

tachi_trace::Expected<net::ip::address> parse_host(std::string_view host, bool bracketed) {
  boost::system::error_code error;
  if (bracketed) {
    auto address = net::ip::make_address_v6(std::string(host), error);
    if (error)
      return Error{Error::Code::invalid_argument,
                   '"' + std::string(host) + "\" is not an IPv6 address"};
    return net::ip::address(address);
  }
  if (host == "localhost") return net::ip::address(net::ip::make_address_v4("127.0.0.1"));
  auto address = net::ip::make_address_v4(std::string(host), error);
  if (error)
    return Error{Error::Code::invalid_argument,
                 '"' + std::string(host) +
                     "\" is not an IPv4 address or localhost (IPv6 addresses go in brackets)"};
  return net::ip::address(address);
}

}  // namespace

std::span<const tachi_trace::VariableSpec> sample_environment_variables() noexcept {
  return sample_variables;
}

ViewerConfig read_viewer_config(const Environment& environment,
                                std::vector<ConfigDiagnostic>& diagnostics) {
  ViewerConfig config;
  if (auto switch_value = environment.get("TACHI_VIEWER")) {
    if (*switch_value == "off")
      config.enabled = false;
    else if (*switch_value != "on")
      warn(diagnostics, "TACHI_VIEWER", *switch_value, "on or off", "on");
  }
  if (auto count_text = environment.get("TACHI_VIEWER_TRACES")) {
    if (auto count = parse_trace_count(*count_text))
      config.max_traces = *count;
    else
      warn(diagnostics, "TACHI_VIEWER_TRACES", *count_text, "an integer from 1 to 100000", "1000");
  }
  config.remote = read_switch(environment, "TACHI_VIEWER_REMOTE", false, diagnostics);
  return config;
}

ServerConfig read_server_config(const Environment& environment,
                                std::vector<ConfigDiagnostic>& diagnostics) {
  ServerConfig config;
  read_listen(environment, config, diagnostics);
  if (auto database = environment.get("TACHI_DB")) config.database = *database;
  read_backend(environment, config, diagnostics);
  if (auto ca_file = environment.get("TACHI_BACKEND_CA_FILE")) config.backend_ca_file = *ca_file;
  config.backend_timeout =
      read_milliseconds(environment, "TACHI_BACKEND_TIMEOUT", config.backend_timeout, diagnostics);
  config.mock_latency =
      read_milliseconds(environment, "TACHI_MOCK_LATENCY", config.mock_latency, diagnostics);
  read_io_threads(environment, config, diagnostics);
  config.shutdown_grace =
      read_milliseconds(environment, "TACHI_SHUTDOWN_GRACE", config.shutdown_grace, diagnostics);
  config.access_log = read_switch(environment, "TACHI_ACCESS_LOG", true, diagnostics);
  read_test_route(environment, config, diagnostics);
  config.viewer = read_viewer_config(environment, diagnostics);
  return config;
}

bool ServerConfig::serves_viewer() const noexcept {
  return viewer.enabled && (viewer.remote || listen.address().is_loopback());
}

bool ServerConfig::serves_test_route() const noexcept {
  switch (test_route) {
    case TestRouteMode::on:
      return true;
    case TestRouteMode::off:
      return false;
    case TestRouteMode::loopback_only:
      return listen.address().is_loopback();
  }
  return false;
}

tachi_trace::Expected<net::ip::tcp::endpoint> parse_listen_address(std::string_view text) {
  const bool bracketed = text.starts_with('[');
  const auto colon = bracketed ? text.find("]:") + 1 : text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error{Error::Code::invalid_argument,
                 '"' + std::string(text) + "\" has no :port (write 127.0.0.1:8080 or [::1]:8080)"};
  std::string_view host = text.substr(0, colon);
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto address = parse_host(host, bracketed);
  if (!address) return address.error();
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return port.error();
  return net::ip::tcp::endpoint(*address, *port);
}

std::string http_origin(const net::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? '[' + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

unsigned default_io_threads() noexcept {
  return std::clamp(std::thread::hardware_concurrency(), 2u, max_io_threads);
}

}  // namespace tachi_sample
