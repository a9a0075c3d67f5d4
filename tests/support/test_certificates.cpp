#include "support/test_certificates.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace tachi_trace::testing {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateFree {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Certificate = std::unique_ptr<X509, CertificateFree>;

void check(bool succeeded, const char* what) {
  if (!succeeded) throw std::runtime_error(std::string("OpenSSL failed to ") + what);
}

Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "make a key");
  return key;
}

void add_extension(X509* certificate, X509* issuer, int id, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, id, value);
  check(extension != nullptr, "make an extension");
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `subject_key`, signed by `issuer_key` (self-signed when `issuer` is null).
Certificate make_certificate(const char* common_name, EVP_PKEY* subject_key, X509* issuer,
                             EVP_PKEY* issuer_key, bool is_ca, const char* alternative_names) {
  static std::atomic<long> serial{1};
  Certificate certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 24 * 3600);
  X509_set_pubkey(certificate.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : certificate.get();
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer));
  add_extension(certificate.get(), signer, NID_basic_constraints,
                is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(certificate.get(), signer, NID_key_usage,
                is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  if (alternative_names != nullptr)
    add_extension(certificate.get(), signer, NID_subject_alt_name, alternative_names);
  check(X509_sign(certificate.get(), issuer_key, EVP_sha256()) > 0, "sign a certificate");
  return certificate;
}

std::string to_pem(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, certificate);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

}  // namespace

TestCertificates make_test_certificates() {
  Key ca_key = make_key(), server_key = make_key(), client_key = make_key(), other_key = make_key();
  Certificate ca =
      make_certificate("tachi test CA", ca_key.get(), nullptr, ca_key.get(), true, nullptr);
  Certificate server = make_certificate("127.0.0.1", server_key.get(), ca.get(), ca_key.get(),
                                        false, "IP:127.0.0.1,DNS:localhost");
  Certificate client = make_certificate("tachi test client", client_key.get(), ca.get(),
                                        ca_key.get(), false, nullptr);
  Certificate other =
      make_certificate("unrelated CA", other_key.get(), nullptr, other_key.get(), true, nullptr);
  return TestCertificates{to_pem(ca.get()),     to_pem(server.get()),     to_pem(server_key.get()),
                          to_pem(client.get()), to_pem(client_key.get()), to_pem(other.get())};
}

TemporaryFile::TemporaryFile(std::string_view name, std::string_view contents) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("tachi-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::string(name));
  std::ofstream out(path_, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

void TemporaryFile::replace(std::string_view contents) const {
  std::filesystem::path next = path_;
  next += ".next";
  {
    std::ofstream out(next, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  }
  std::filesystem::rename(next, path_);
}

TemporaryFile::~TemporaryFile() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

}  // namespace tachi_trace::testing
