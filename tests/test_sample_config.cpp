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
