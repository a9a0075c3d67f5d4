#include "sample_config.hpp"

#include <charconv>
#include <string>

namespace tachi_sample {

namespace {

using enum tachi_trace::VariableType;

constexpr tachi_trace::VariableSpec sample_variables[] = {
    {"TACHI_VIEWER", choice, "on", "on|off",
     "serve the built-in trace viewer on /debug/traces (kept in process, no backend needed)"},
    {"TACHI_VIEWER_TRACES", count, "1000", "",
     "most recent traces the viewer keeps (1-100000); older ones are evicted"},
};

void warn(std::vector<tachi_trace::ConfigDiagnostic>& diagnostics, std::string variable,
          const std::string& value, std::string_view expectation, std::string_view fallback) {
  std::string message = variable + " must be " + std::string(expectation) + ", but got \"" + value +
                        "\"; using " + std::string(fallback);
  diagnostics.push_back({std::move(variable), std::move(message)});
}

std::optional<std::size_t> parse_trace_count(const std::string& text) {
  std::size_t count = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), count);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) return std::nullopt;
  if (count < 1 || count > max_viewer_traces) return std::nullopt;
  return count;
}

}  // namespace

std::span<const tachi_trace::VariableSpec> sample_environment_variables() noexcept {
  return sample_variables;
}

ViewerConfig read_viewer_config(const tachi_trace::Environment& environment,
                                std::vector<tachi_trace::ConfigDiagnostic>& diagnostics) {
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
  return config;
}

}  // namespace tachi_sample
