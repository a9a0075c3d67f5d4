// The environment as configuration reads it: each input line is a variable of the registry (its
// first byte chooses which) and its value. Whatever the values, finalizing succeeds (bad values
// are warnings with a fallback, never errors), every warning names a variable of the registry, and
// no warning repeats a secret: no run of 8 or more non-ASCII bytes (which no message template
// holds) of an OTLP header list or the Jaeger password appears in one, unless another variable's
// value holds it too.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "tachi_trace/config.hpp"

using namespace tachi_trace;

namespace {

bool is_secret(std::string_view variable) {
  return variable == "OTEL_EXPORTER_OTLP_HEADERS" ||
         variable == "OTEL_EXPORTER_OTLP_TRACES_HEADERS" ||
         variable == "OTEL_EXPORTER_JAEGER_PASSWORD";
}

/// The runs of 8 or more bytes at or above 0x80 in `text`, cut into 8-byte pieces.
std::vector<std::string> non_ascii_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  std::size_t run_start = 0;
  for (std::size_t index = 0; index <= text.size(); ++index) {
    if (index < text.size() && static_cast<unsigned char>(text[index]) >= 0x80) continue;
    for (std::size_t start = run_start; start + 8 <= index; ++start)
      pieces.emplace_back(text.substr(start, 8));
    run_start = index + 1;
  }
  return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto variables = environment_variables();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view input = tachi_fuzz::as_text(data, size);
  while (!input.empty()) {
    const auto line_end = input.find('\n');
    const std::string_view line = input.substr(0, line_end);
    input = line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);
    if (line.empty()) continue;
    const auto& spec = variables[static_cast<unsigned char>(line[0]) % variables.size()];
    pairs.emplace_back(std::string(spec.name), std::string(line.substr(1)));
  }

  auto config = finalize_config(TracingConfig{}, Environment::from_pairs(pairs));
  tachi_fuzz::expect(config.has_value());

  std::set<std::string> known_names;
  for (const auto& spec : variables) {
    known_names.emplace(spec.name);
    // Proxy variables are also read in lower case; the registry names the upper-case form.
    std::string lower(spec.name);
    for (char& character : lower)
      if (character >= 'A' && character <= 'Z')
        character = static_cast<char>(character - 'A' + 'a');
    known_names.insert(lower);
  }
  for (const auto& diagnostic : config->diagnostics()) {
    tachi_fuzz::expect(!diagnostic.message.empty());
    tachi_fuzz::expect(known_names.contains(diagnostic.variable));
  }

  for (const auto& [name, value] : pairs) {
    if (!is_secret(name)) continue;
    for (const std::string& piece : non_ascii_pieces(value)) {
      bool elsewhere = false;
      for (const auto& [other_name, other_value] : pairs)
        elsewhere =
            elsewhere || (!is_secret(other_name) && other_value.find(piece) != std::string::npos);
      if (elsewhere) continue;
      for (const auto& diagnostic : config->diagnostics())
        tachi_fuzz::expect(diagnostic.message.find(piece) == std::string::npos);
    }
  }
  return 0;
}
