#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#if defined(__SANITIZE_THREAD__)
#define TACHI_TEST_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TACHI_TEST_THREAD_SANITIZER 1
#endif
#endif

#ifdef TACHI_TEST_THREAD_SANITIZER
// Boost.Asio releases a type-erased executor's reference with a release decrement followed by an
// acquire fence (detail::ref_count_down); ThreadSanitizer does not model standalone fences and,
// now and then, reports the executor's deletion on another io thread as a race (the sample server
// suppresses the same report). Only that report is suppressed.
extern "C" const char* __tsan_default_suppressions() {
  return "race:boost::asio::execution::detail::shared_target_executor\n";
}
#endif
