// Prints the README's table of the sample server's own environment variables from its registry
// (scripts/update-readme-table puts it into README.md).
#include <iostream>

#include "sample_config.hpp"

int main() {
  std::cout << tachi_trace::format_environment_markdown(
      tachi_sample::sample_environment_variables());
}
