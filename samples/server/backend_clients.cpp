#include "backend_clients.hpp"

namespace tachi_sample {

BackendClients::BackendClients(boost::asio::any_io_executor executor,
                               tachi_trace::HttpClientOptions options, std::size_t kept)
    : executor_(std::move(executor)), options_(std::move(options)), kept_(kept) {}

BackendClients::Lease BackendClients::lease() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(client));
    }
  }
  return Lease(*this, std::make_unique<tachi_trace::HttpClient>(executor_, options_));
}

void BackendClients::give_back(std::unique_ptr<tachi_trace::HttpClient> client) noexcept {
  std::unique_lock lock(mutex_);
  if (idle_.size() >= kept_) {
    lock.unlock();
    return;  // `client` (and its connection) goes here, outside the lock
  }
  idle_.push_back(std::move(client));
}

}  // namespace tachi_sample
