// Kept-alive clients for the calls to the LLM backend: each call borrows one, so consecutive calls
// reuse an open connection (for an https backend, its TLS handshake too) instead of opening one
// per call.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "tachi_trace/beast_client.hpp"

namespace tachi_sample {

class BackendClients {
 public:
  /// At most `kept` idle clients are kept; calls beyond them get clients of their own.
  BackendClients(boost::asio::any_io_executor executor, tachi_trace::HttpClientOptions options,
                 std::size_t kept = 16);
  BackendClients(const BackendClients&) = delete;
  BackendClients& operator=(const BackendClients&) = delete;

  /// One client for one call at a time (HttpClient's rule), given back when the lease ends.
  class Lease {
   public:
    Lease(BackendClients& owner, std::unique_ptr<tachi_trace::HttpClient> client) noexcept
        : owner_(&owner), client_(std::move(client)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (client_) owner_->give_back(std::move(client_));
    }
    tachi_trace::HttpClient& client() noexcept { return *client_; }

   private:
    BackendClients* owner_;
    std::unique_ptr<tachi_trace::HttpClient> client_;
  };

  Lease lease();

 private:
  void give_back(std::unique_ptr<tachi_trace::HttpClient> client) noexcept;

  boost::asio::any_io_executor executor_;
  const tachi_trace::HttpClientOptions options_;
  const std::size_t kept_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<tachi_trace::HttpClient>> idle_;
};

}  // namespace tachi_sample
