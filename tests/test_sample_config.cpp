#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "sample_config.hpp"

using tachi_sample::read_viewer_config;
using tachi_trace::ConfigDiagnostic;
using tachi_trace::Environment;

TEST_CASE("the viewer is on with 1000 traces unless the environment says otherwise") {
  std::vector<ConfigDiagnostic> diagnostics;
  auto config = read_viewer_config(Environment::from_pairs({}), diagnostics);
  CHECK(config.enabled);
  CHECK(config.max_traces == 1000);
  CHECK(diagnostics.empty());

  config = read_viewer_config(
      Environment::from_pairs({{"TACHI_VIEWER", "off"}, {"TACHI_VIEWER_TRACES", "250"}}),
      diagnostics);
  CHECK_FALSE(config.enabled);
  CHECK(config.max_traces == 250);
  CHECK(diagnostics.empty());
}

TEST_CASE("unusable viewer settings are diagnostics naming the variable, value and fallback") {
  std::vector<ConfigDiagnostic> diagnostics;
  auto config = read_viewer_config(
      Environment::from_pairs({{"TACHI_VIEWER", "maybe"}, {"TACHI_VIEWER_TRACES", "0"}}),
      diagnostics);
  CHECK(config.enabled);
  CHECK(config.max_traces == 1000);
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].variable == "TACHI_VIEWER");
  CHECK(diagnostics[0].message == "TACHI_VIEWER must be on or off, but got \"maybe\"; using on");
  CHECK(diagnostics[1].message ==
        "TACHI_VIEWER_TRACES must be an integer from 1 to 100000, but got \"0\"; using 1000");

  diagnostics.clear();
  read_viewer_config(Environment::from_pairs({{"TACHI_VIEWER_TRACES", "12abc"}}), diagnostics);
  read_viewer_config(Environment::from_pairs({{"TACHI_VIEWER_TRACES", "100001"}}), diagnostics);
  CHECK(diagnostics.size() == 2);
}

TEST_CASE("the sample's variables are in its help text and in the README") {
  const auto variables = tachi_sample::sample_environment_variables();
  const std::string help = tachi_trace::format_environment_help(variables);
  CHECK_THAT(help, Catch::Contains("TACHI_VIEWER (one of on|off)"));
  CHECK_THAT(help, Catch::Contains("TACHI_VIEWER_TRACES (integer)"));
  std::ifstream readme(TACHI_SOURCE_DIR "/README.md");
  REQUIRE(readme);
  std::stringstream text;
  text << readme.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains(tachi_trace::format_environment_markdown(variables)));
}

TEST_CASE(
    "listen addresses: host:port or IPv6 in brackets or localhost and port 0 - clear refusals") {
  using tachi_sample::parse_listen_address;
  auto v4 = parse_listen_address("127.0.0.1:8080");
  REQUIRE(v4);
  CHECK(v4->address().to_string() == "127.0.0.1");
  CHECK(v4->port() == 8080);
  auto v6 = parse_listen_address("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->address().is_v6());
  CHECK(v6->port() == 0);
  CHECK(tachi_sample::http_origin(*v6) == "http://[::1]:0");
  CHECK(parse_listen_address("localhost:9000")->address().to_string() == "127.0.0.1");
  CHECK(parse_listen_address("0.0.0.0:80")->address().is_unspecified());

  CHECK(parse_listen_address("8080").error().message ==
        "\"8080\" has no :port (write 127.0.0.1:8080 or [::1]:8080)");
  CHECK(parse_listen_address("127.0.0.1:65536").error().message ==
        "the port must be a number from 0 to 65535, but got \"65536\"");
  CHECK(parse_listen_address("example.com:80").error().message ==
        "\"example.com\" is not an IPv4 address or localhost (IPv6 addresses go in brackets)");
  CHECK(parse_listen_address("[::g]:80").error().message == "\"::g\" is not an IPv6 address");
  CHECK_FALSE(parse_listen_address("[::1]"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:"));
}

TEST_CASE("server settings: defaults and values - diagnostics for what cannot be used") {
  std::vector<ConfigDiagnostic> diagnostics;
  auto defaults = tachi_sample::read_server_config(Environment::from_pairs({}), diagnostics);
  CHECK(diagnostics.empty());
  CHECK(tachi_sample::http_origin(defaults.listen) == "http://127.0.0.1:8080");
  CHECK(defaults.backend_url.empty());
  CHECK(defaults.backend_ca_file.empty());
  CHECK(defaults.io_threads >= 2);
  CHECK(defaults.serves_viewer());
  CHECK(defaults.serves_test_route());

  auto remote = tachi_sample::read_server_config(
      Environment::from_pairs({{"TACHI_LISTEN", "0.0.0.0:8080"},
                               {"TACHI_BACKEND_URL", "https://llm.internal:8443/generate"},
                               {"TACHI_BACKEND_CA_FILE", "/etc/llm/ca.pem"},
                               {"TACHI_IO_THREADS", "4"},
                               {"TACHI_SHUTDOWN_GRACE", "2500"}}),
      diagnostics);
  CHECK(diagnostics.empty());
  CHECK_FALSE(remote.serves_viewer());  // not on a loopback address unless asked
  CHECK_FALSE(remote.serves_test_route());
  CHECK(remote.backend_url == "https://llm.internal:8443/generate");
  CHECK(remote.backend_ca_file == "/etc/llm/ca.pem");
  CHECK(remote.io_threads == 4);
  CHECK(remote.shutdown_grace == std::chrono::milliseconds(2500));
  remote.viewer.remote = true;
  CHECK(remote.serves_viewer());

  auto bad = tachi_sample::read_server_config(
      Environment::from_pairs({{"TACHI_LISTEN", "nowhere"},
                               {"TACHI_BACKEND_URL", "ftp://llm.example/generate"},
                               {"TACHI_IO_THREADS", "0"},
                               {"TACHI_MOCK_LATENCY", "-5"},
                               {"TACHI_TEST_ROUTE", "always"}}),
      diagnostics);
  CHECK(tachi_sample::http_origin(bad.listen) == "http://127.0.0.1:8080");
  CHECK(bad.backend_url.empty());
  REQUIRE(diagnostics.size() == 5);
  CHECK(diagnostics[0].message ==
        "TACHI_LISTEN must be host:port or [IPv6]:port (\"nowhere\" has no :port (write "
        "127.0.0.1:8080 or [::1]:8080)); using 127.0.0.1:8080");
  CHECK(diagnostics[1].message ==
        "TACHI_BACKEND_URL must be an http:// or https:// URL, but got "
        "\"ftp://llm.example/generate\"; using the built-in mock backend");
  CHECK(diagnostics[2].variable == "TACHI_MOCK_LATENCY");
  CHECK(diagnostics[3].variable == "TACHI_IO_THREADS");
  CHECK(diagnostics[4].message ==
        "TACHI_TEST_ROUTE must be auto, on or off, but got \"always\"; using auto");
}
