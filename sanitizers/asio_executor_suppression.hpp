// ThreadSanitizer's suppression of one false report in Boost.Asio, for the programs the tests run
// under ThreadSanitizer (the test runners and the sample server). Each includes this header from
// exactly one source file, since it defines the runtime's hook; elsewhere it defines nothing.
//
// Asio releases a type-erased executor's reference with a release decrement followed by an acquire
// fence (detail::ref_count_down). ThreadSanitizer does not model standalone fences and, now and
// then, reports the executor's deletion on another io thread as a race. Only that report is
// suppressed.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define TACHI_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TACHI_THREAD_SANITIZER 1
#endif
#endif

#ifdef TACHI_THREAD_SANITIZER
extern "C" const char* __tsan_default_suppressions() {
  return "race:boost::asio::execution::detail::shared_target_executor\n";
}
#endif
