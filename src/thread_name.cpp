#include "thread_name.hpp"

#include <algorithm>
#include <cstring>

#ifdef __linux__
#include <pthread.h>
#endif

namespace tachi_trace::detail {

void name_this_thread(std::string_view role) noexcept {
#ifdef __linux__
  constexpr std::string_view prefix = "tachi-";
  constexpr std::size_t longest = 15;  // the kernel's limit, without the terminating zero
  char name[longest + 1] = {};
  std::memcpy(name, prefix.data(), prefix.size());
  const std::size_t kept = std::min(role.size(), longest - prefix.size());
  std::memcpy(name + prefix.size(), role.data(), kept);
  pthread_setname_np(pthread_self(), name);
#else
  (void)role;
#endif
}

}  // namespace tachi_trace::detail
