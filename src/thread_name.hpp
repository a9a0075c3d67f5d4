// Names for the library's own threads, so that `top -H`, `ps -L`, perf and debuggers tell them
// from the application's. Private.
#pragma once

#include <string_view>

namespace tachi_trace::detail {

/// Names the calling thread "tachi-<role>", cut to the 15 characters Linux keeps. Does nothing
/// where threads cannot be named.
void name_this_thread(std::string_view role) noexcept;

}  // namespace tachi_trace::detail
