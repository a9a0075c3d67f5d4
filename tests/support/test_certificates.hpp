// Certificates made at test time with OpenSSL: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate, all signed by the CA. Nothing secret is committed, and no
// certificate expires under the tests.
#pragma once

#include <filesystem>
#include <string>

namespace tachi_trace::testing {

struct TestCertificates {
  std::string ca_pem;
  std::string server_certificate_pem;
  std::string server_key_pem;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::string other_ca_pem;  // a CA that signed none of the above
};

/// Makes a fresh set (P-256 keys, valid from one hour ago for a day).
TestCertificates make_test_certificates();

/// A file under the system's temporary directory holding `contents`, removed when destroyed.
class TemporaryFile {
 public:
  TemporaryFile(std::string_view name, std::string_view contents);
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile();
  std::string path() const { return path_.string(); }
  /// Gives the file new contents as rotation tools do: a new file renamed over it (a new inode).
  void replace(std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

}  // namespace tachi_trace::testing
