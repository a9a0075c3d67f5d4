// Prints the README's table of environment variables from the registry
// (scripts/update-readme-table puts it into README.md).
#include <iostream>

#include "tachi_trace/config.hpp"

int main() {
  std::cout << tachi_trace::format_environment_markdown(tachi_trace::environment_variables());
}
