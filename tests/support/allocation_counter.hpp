// Counts the heap allocations made by the calling thread, for tests that show a path allocates
// nothing. Linking support/allocation_counter.cpp into a test program replaces operator new (or,
// under a sanitizer, which owns operator new, installs its allocation hook).
#pragma once

#include <cstddef>

namespace tachi_trace::testing {

/// Allocations this thread has made since it started.
std::size_t allocations_on_this_thread() noexcept;

}  // namespace tachi_trace::testing
