#include "tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace tachi_trace::detail {

namespace {

namespace net = boost::asio;

Error tls_error(std::string what, const boost::system::error_code& error) {
  return Error{Error::Code::io_failure, std::move(what) + ": " + error.message()};
}

}  // namespace

Expected<std::unique_ptr<net::ssl::context>> make_tls_client_context(const TlsSettings& tls) {
  std::unique_ptr<net::ssl::context> context;
  try {
    context = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  } catch (const std::exception& error) {
    return Error{Error::Code::io_failure, std::string("cannot set up TLS: ") + error.what()};
  }
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code error;
  if (tls.ca_file.empty()) {
    context->set_default_verify_paths(error);
    if (error) return tls_error("cannot load the system's CA certificates", error);
  } else {
    context->load_verify_file(tls.ca_file, error);
    if (error) return tls_error("cannot load CA certificates from \"" + tls.ca_file + "\"", error);
  }
  if (tls.client_certificate_file.empty() != tls.client_key_file.empty())
    return Error{Error::Code::invalid_configuration,
                 "mutual TLS needs both a client certificate and a client key file"};
  if (!tls.client_certificate_file.empty()) {
    context->use_certificate_chain_file(tls.client_certificate_file, error);
    if (error)
      return tls_error("cannot load the client certificate \"" + tls.client_certificate_file + "\"",
                       error);
    context->use_private_key_file(tls.client_key_file, net::ssl::context::pem, error);
    if (error)
      return tls_error("cannot load the client key \"" + tls.client_key_file + "\"", error);
  }
  context->set_verify_mode(net::ssl::verify_peer);
  return context;
}

namespace {

/// What tells one version of a file from another without reading it.
struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::string& path) {
  struct stat status {};
  if (path.empty() || ::stat(path.c_str(), &status) != 0) return {};
  return {
      true, status.st_dev, status.st_ino, status.st_size,
      static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec};
}

/// Where OpenSSL's default verify paths point: its environment variable, else its built-in path.
std::string default_verify_path(const char* variable, const char* built_in) {
  const char* set = std::getenv(variable);
  return set != nullptr && *set != '\0' ? set : built_in;
}

/// The stamps of every file a context of `tls` reads.
std::vector<FileStamp> stamps_of(const TlsSettings& tls) {
  std::vector<FileStamp> stamps;
  if (tls.ca_file.empty()) {
    stamps.push_back(stamp_of(
        default_verify_path(X509_get_default_cert_file_env(), X509_get_default_cert_file())));
    stamps.push_back(stamp_of(
        default_verify_path(X509_get_default_cert_dir_env(), X509_get_default_cert_dir())));
  } else {
    stamps.push_back(stamp_of(tls.ca_file));
  }
  stamps.push_back(stamp_of(tls.client_certificate_file));
  stamps.push_back(stamp_of(tls.client_key_file));
  return stamps;
}

struct SharedContext {
  std::vector<FileStamp> stamps;
  std::shared_ptr<TlsClientContext> context;
  std::uint64_t last_used = 0;
};

// Distinct TLS settings a process keeps contexts for; past it, the one used longest ago goes.
constexpr std::size_t shared_context_limit = 16;

}  // namespace

Expected<std::shared_ptr<TlsClientContext>> shared_tls_client_context(const TlsSettings& tls) {
  using Files = std::tuple<std::string, std::string, std::string>;
  static std::mutex mutex;
  static std::map<Files, SharedContext> contexts;
  static std::uint64_t uses = 0;
  const Files files{tls.ca_file, tls.client_certificate_file, tls.client_key_file};
  std::vector<FileStamp> stamps = stamps_of(tls);
  std::lock_guard lock(mutex);
  if (auto found = contexts.find(files);
      found != contexts.end() && found->second.stamps == stamps) {
    found->second.last_used = ++uses;
    return found->second.context;
  }
  auto made = make_tls_client_context(tls);
  if (!made) return made.error();
  auto shared = std::make_shared<TlsClientContext>();
  shared->ssl = std::move(*made);
  if (!contexts.contains(files) && contexts.size() >= shared_context_limit) {
    contexts.erase(std::min_element(contexts.begin(), contexts.end(), [](auto& a, auto& b) {
      return a.second.last_used < b.second.last_used;
    }));
  }
  contexts[files] = SharedContext{std::move(stamps), shared, ++uses};
  return shared;
}

void refresh_tls_client_context(std::shared_ptr<TlsClientContext>& context,
                                const TlsSettings& tls) {
  if (auto current = shared_tls_client_context(tls)) context = std::move(*current);
}

void expect_server(TlsStream& stream, const std::string& host) {
  // Server Name Indication, for servers that host several names.
  if (!is_ip_literal(host)) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  stream.set_verify_mode(net::ssl::verify_peer);
  stream.set_verify_callback(net::ssl::host_name_verification(host));
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code error;
  net::ip::make_address(host, error);
  return !error;
}

void TlsSessionCache::offer(TlsStream& stream, const std::string& host, std::uint16_t port) {
  std::unique_ptr<SSL_SESSION, Release> session;
  {
    std::lock_guard lock(mutex_);
    auto found = kept_.find({host, port});
    if (found == kept_.end()) return;
    session = std::move(found->second.copy);
    kept_.erase(found);
  }
  // The stream takes a reference of its own.
  SSL_set_session(stream.native_handle(), session.get());
}

void TlsSessionCache::keep(TlsStream& stream, const std::string& host, std::uint16_t port) {
  // The newest session: TLS 1.3 servers may send tickets after the first response.
  SSL_SESSION* current = SSL_get0_session(stream.native_handle());
  if (current == nullptr || !SSL_SESSION_is_resumable(current)) return;
  std::lock_guard lock(mutex_);
  auto found = kept_.find({host, port});
  if (found != kept_.end() && found->second.source == current) return;
  // A copy: the connection's own is marked unresumable when it closes without close_notify,
  // which the clients skip (HTTP framing tells where each response ends).
  std::unique_ptr<SSL_SESSION, Release> copy(SSL_SESSION_dup(current));
  if (!copy) return;
  if (found == kept_.end() && kept_.size() >= capacity_) {
    kept_.erase(std::min_element(kept_.begin(), kept_.end(),
                                 [](auto& a, auto& b) { return a.second.order < b.second.order; }));
  }
  kept_[{host, port}] = Kept{std::move(copy), current, ++next_order_};
}

}  // namespace tachi_trace::detail
