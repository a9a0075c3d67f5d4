#include "tls.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <map>
#include <mutex>
#include <tuple>

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

Expected<std::shared_ptr<net::ssl::context>> shared_tls_client_context(const TlsSettings& tls) {
  using Files = std::tuple<std::string, std::string, std::string>;
  static std::mutex mutex;
  static std::map<Files, std::weak_ptr<net::ssl::context>> contexts;
  const Files files{tls.ca_file, tls.client_certificate_file, tls.client_key_file};
  std::lock_guard lock(mutex);
  if (auto found = contexts.find(files); found != contexts.end()) {
    if (auto shared = found->second.lock()) return shared;
  }
  auto made = make_tls_client_context(tls);
  if (!made) return made.error();
  std::shared_ptr<net::ssl::context> shared = std::move(*made);
  std::erase_if(contexts, [](const auto& entry) { return entry.second.expired(); });
  contexts[files] = shared;
  return shared;
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

void TlsSessionKeeper::offer(TlsStream& stream, const std::string& host, std::uint16_t port) {
  kept_since_offer_ = false;
  if (session_ && port == port_ && host == host_)
    SSL_set_session(stream.native_handle(), session_.get());
}

void TlsSessionKeeper::keep(TlsStream& stream, const std::string& host, std::uint16_t port) {
  if (kept_since_offer_) return;
  // The newest session: a server may expect each ticket to be used once.
  SSL_SESSION* current = SSL_get0_session(stream.native_handle());
  if (current == nullptr || !SSL_SESSION_is_resumable(current)) return;
  // A copy: the connection's own is marked unresumable when it closes without close_notify,
  // which both clients skip (HTTP framing tells where each response ends).
  std::unique_ptr<SSL_SESSION, Release> copy(SSL_SESSION_dup(current));
  if (!copy) return;
  session_ = std::move(copy);
  host_ = host;
  port_ = port;
  kept_since_offer_ = true;
}

}  // namespace tachi_trace::detail
