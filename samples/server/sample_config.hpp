// The sample server's own settings: the variables it reads besides the library's OTEL_* ones.
//
// They live here, not in the library's registry, because they configure the sample's HTTP
// routes, not tracing: the viewer store itself is a library exporter that any program can add,
// but serving it on /debug/traces is the sample's choice. The registry uses the library's
// `VariableSpec`, so `--help` can print both lists with `format_environment_help`, and problems
// are reported as the library reports them: a diagnostic naming the variable, the value received
// and the default used instead. Nothing here throws: every reader returns a usable setting.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/config.hpp"
#include "tachi_trace/error.hpp"

namespace tachi_sample {

/// Every environment variable the sample reads itself.
std::span<const tachi_trace::VariableSpec> sample_environment_variables() noexcept;

struct ViewerConfig {
  bool enabled = true;            // TACHI_VIEWER
  std::size_t max_traces = 1000;  // TACHI_VIEWER_TRACES
  bool remote = false;            // TACHI_VIEWER_REMOTE: also on a non-loopback address
};

inline constexpr std::size_t max_viewer_traces = 100000;

/// Reads TACHI_VIEWER, TACHI_VIEWER_TRACES and TACHI_VIEWER_REMOTE; a value that cannot be used
/// adds a diagnostic to `diagnostics` and the default is used.
ViewerConfig read_viewer_config(const tachi_trace::Environment& environment,
                                std::vector<tachi_trace::ConfigDiagnostic>& diagnostics);

/// When POST /test (the W3C Trace Context test-suite protocol) is served. It POSTs to any http://
/// URL it is given, so by default only a server listening on a loopback address offers it.
enum class TestRouteMode { loopback_only, on, off };

struct ServerConfig {
  boost::asio::ip::tcp::endpoint listen{boost::asio::ip::make_address_v4("127.0.0.1"), 8080};
  std::filesystem::path database = "tachi-sample.db";
  std::string backend_url;      // empty: the built-in mock backend
  std::string backend_ca_file;  // for an https backend; empty: the system's CA store
  std::chrono::milliseconds backend_timeout{30000};
  std::chrono::milliseconds mock_latency{25};
  unsigned io_threads = 2;
  std::chrono::milliseconds shutdown_grace{10000};
  bool access_log = true;
  TestRouteMode test_route = TestRouteMode::loopback_only;
  ViewerConfig viewer;

  /// Whether /debug/traces is served: enabled, and on a loopback address unless allowed remotely.
  bool serves_viewer() const noexcept;
  /// Whether POST /test is served.
  bool serves_test_route() const noexcept;
};

/// Reads every sample variable (see sample_environment_variables()).
ServerConfig read_server_config(const tachi_trace::Environment& environment,
                                std::vector<tachi_trace::ConfigDiagnostic>& diagnostics);

/// Parses a listen address: `host:port` with an IPv4 address or `localhost`, or `[IPv6]:port`.
/// Port 0 asks the system for a free port. Host names other than localhost are refused: a
/// server should not depend on name resolution to know where it listens.
tachi_trace::Expected<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

/// `http://127.0.0.1:8080`, `http://[::1]:8080`: the origin a client uses to reach `endpoint`.
std::string http_origin(const boost::asio::ip::tcp::endpoint& endpoint);

/// The number of io threads used when TACHI_IO_THREADS is unset: the hardware threads, at least 2.
unsigned default_io_threads() noexcept;

}  // namespace tachi_sample
