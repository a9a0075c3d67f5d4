#include "support/asio_support.hpp"

namespace tachi_trace::testing {

boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace tachi_trace::testing
