// The traced HTTP client over https, against the in-test TLS receiver on 127.0.0.1: what it
// verifies (chain and host name), mutual TLS, keep-alive, and what a failed handshake looks like
// on the result and on the CLIENT span.
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "support/beast_support.hpp"
#include "support/http_receiver.hpp"
#include "support/test_certificates.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

/// An https backend whose certificate the test CA signed, and that CA in a file for the client.
struct TlsBackend {
  struct Options {
    bool require_client_certificate = false;
    bool certificate_names_no_host = false;  // serve the client certificate: valid chain, no host
  };

  TlsBackend() : TlsBackend(Options{}) {}
  explicit TlsBackend(Options options)
      : receiver(HttpReceiver::Options{
            .tls = ReceiverTls{
                options.certificate_names_no_host ? certificates.client_certificate_pem
                                                  : certificates.server_certificate_pem,
                options.certificate_names_no_host ? certificates.client_key_pem
                                                  : certificates.server_key_pem,
                options.require_client_certificate ? certificates.ca_pem : std::string()}}) {}

  HttpClientOptions trusting(const MemoryProvider& memory) const {
    HttpClientOptions options = client_into(memory);
    options.tls.ca_file = ca.path();
    return options;
  }

  const TestCertificates certificates = make_test_certificates();
  const TemporaryFile ca{"ca.pem", certificates.ca_pem};
  const TemporaryFile other_ca{"other-ca.pem", certificates.other_ca_pem};
  const TemporaryFile client_certificate{"client.pem", certificates.client_certificate_pem};
  const TemporaryFile client_key{"client-key.pem", certificates.client_key_pem};
  HttpReceiver receiver;
};

/// The CLIENT span of a failed call: Error, with `error_type`.
void check_failed_span(MemoryProvider& memory, std::string_view error_type) {
  auto spans = wait_for_spans(memory, 1);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(client.status.code == StatusCode::error);
  CHECK_FALSE(client.status.description.empty());
  CHECK(string_attribute(client, "error.type") == error_type);
  CHECK_FALSE(has_attribute(client, "http.response.status_code"));
}

}  // namespace

TEST_CASE("an https GET verified against the CA of the options makes a CLIENT span") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  backend.receiver.set_default_response({.body = "spec 7", .content_type = "text/plain"});
  BackgroundIo background;
  std::string host;
  SECTION("by address") {
    host = "127.0.0.1";
  }
  SECTION("by name: looked up, sent as SNI, matched against the certificate's DNS name") {
    host = "localhost";
  }
  const std::string url =
      "https://" + host + ":" + std::to_string(backend.receiver.port()) + "/api/specs/7";

  auto result = background.run(traced_get(url, backend.trusting(memory)));

  REQUIRE(result);
  CHECK(result->result() == http::status::ok);
  CHECK(result->body() == "spec 7");
  auto spans = wait_for_spans(memory, 1);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(client.status.code == StatusCode::unset);
  CHECK(string_attribute(client, "url.full") == url);
  CHECK(string_attribute(client, "server.address") == host);
  CHECK(int_attribute(client, "server.port") == backend.receiver.port());
  CHECK(int_attribute(client, "http.response.status_code") == 200);
  CHECK(string_attribute(client, "network.peer.address") == "127.0.0.1");
  // The request went out inside the CLIENT span (sampled, and its trace id random: flags 03).
  auto requests = backend.receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/api/specs/7");
  CHECK(requests[0].header("traceparent") ==
        "00-" + client.context.trace_id.to_hex() + "-" + client.context.span_id.to_hex() + "-03");
}

TEST_CASE("https refuses a server it cannot verify, before sending anything") {
  MemoryProvider memory(roomy_settings());
  std::optional<TlsBackend> backend;
  HttpClientOptions options;
  SECTION("signed by a CA the client does not trust") {
    backend.emplace();
    options = backend->trusting(memory);
    options.tls.ca_file = backend->other_ca.path();
  }
  SECTION("not in the system's store (no CA file given)") {
    backend.emplace();
    options = client_into(memory);
  }
  SECTION("a certificate of the trusted CA that names another host") {
    backend.emplace(TlsBackend::Options{.certificate_names_no_host = true});
    options = backend->trusting(memory);
  }
  BackgroundIo background;
  const std::string url = backend->receiver.url("/x");

  auto result = background.run(traced_get(url, options));

  REQUIRE_FALSE(result);
  INFO(result.error().message);
  CHECK(result.error().code == Error::Code::io_failure);
  CHECK_THAT(result.error().message, Catch::StartsWith("GET " + url + ": TLS handshake: "));
  CHECK_THAT(result.error().message, Catch::Contains("certificate verify failed"));
  CHECK(backend->receiver.request_count() == 0);
  check_failed_span(memory, "tls_failure");
}

TEST_CASE("a server that accepts but never answers the TLS handshake times the call out") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background;
  auto silent = std::make_shared<net::ip::tcp::acceptor>(background.io, loopback());
  net::co_spawn(background.io, accept_and_hold(silent), net::detached);
  HttpClientOptions options = client_into(memory);
  options.timeout = std::chrono::milliseconds(200);
  const std::string url =
      "https://127.0.0.1:" + std::to_string(silent->local_endpoint().port()) + "/x";

  auto result = background.run(traced_get(url, options));

  REQUIRE_FALSE(result);
  CHECK(result.error().code == Error::Code::timed_out);
  CHECK(result.error().message == "GET " + url + ": no answer within 200 ms (TLS handshake)");
  check_failed_span(memory, "timeout");
}

TEST_CASE("mutual TLS: the client certificate of the options is presented") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend(TlsBackend::Options{.require_client_certificate = true});
  BackgroundIo background;
  HttpClientOptions options = backend.trusting(memory);
  const std::string url = backend.receiver.url("/runs");

  SECTION("with the certificate: answered") {
    options.tls.client_certificate_file = backend.client_certificate.path();
    options.tls.client_key_file = backend.client_key.path();
    auto result = background.run(traced_get(url, options));
    REQUIRE(result);
    CHECK(result->result() == http::status::ok);
    CHECK(backend.receiver.request_count() == 1);
  }
  SECTION("without: the server ends the handshake, and the call fails") {
    auto result = background.run(traced_get(url, options));
    REQUIRE_FALSE(result);
    INFO(result.error().message);
    CHECK_THAT(result.error().message, Catch::StartsWith("GET " + url + ": "));
    // TLS 1.3: the client learns of the refusal when it reads the answer.
    CHECK_THAT(result.error().message, Catch::Contains("certificate required"));
    CHECK(backend.receiver.request_count() == 0);
    check_failed_span(memory, "tls_failure");
  }
}

TEST_CASE("TLS files that cannot be read fail the call with their name, before any span") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  BackgroundIo background;
  HttpClientOptions options = backend.trusting(memory);
  std::string named;
  Error::Code code = Error::Code::io_failure;
  SECTION("the CA file") {
    options.tls.ca_file = "/nonexistent/ca.pem";
    named = "cannot load CA certificates from \"/nonexistent/ca.pem\"";
  }
  SECTION("the client key") {
    options.tls.client_certificate_file = backend.client_certificate.path();
    options.tls.client_key_file = "/nonexistent/key.pem";
    named = "cannot load the client key \"/nonexistent/key.pem\"";
  }
  SECTION("a client certificate without its key") {
    options.tls.client_certificate_file = backend.client_certificate.path();
    named = "mutual TLS needs both a client certificate and a client key file";
    code = Error::Code::invalid_configuration;
  }
  const std::string url = backend.receiver.url("/x");

  auto result = background.run(traced_get(url, options));

  REQUIRE_FALSE(result);
  CHECK(result.error().code == code);
  CHECK_THAT(result.error().message, Catch::StartsWith("GET " + url + ": " + named));
  CHECK(backend.receiver.connections_accepted() == 0);
  memory.provider.force_flush();
  CHECK(memory.store->size() == 0);
}

TEST_CASE("HttpClient keeps an https connection alive and reopens one the server closed") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  BackgroundIo background;
  const std::string url = backend.receiver.url("/api/specs/1");
  std::uint64_t connections = 0;
  SECTION("three calls in a row share one connection and one handshake") {
    connections = 1;
  }
  SECTION(
      "the server closes after each answer: a new connection for each call, each later one "
      "resuming the TLS session of the one before") {
    backend.receiver.set_default_response({.close_connection = true});
    connections = 3;
  }

  CHECK(background.run(get_through_one_client({url, url, url}, backend.trusting(memory),
                                              std::chrono::milliseconds(50))) == 3);

  CHECK(backend.receiver.connections_accepted() == connections);
  CHECK(backend.receiver.tls_sessions_resumed() == connections - 1);
  auto requests = backend.receiver.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests.back().connection == connections);
  auto spans = wait_for_spans(memory, 3);
  for (const SpanData* client : spans_of_kind(spans, SpanKind::client))
    CHECK(client->status.code == StatusCode::unset);
}

TEST_CASE("one HttpClient calls an http and an https URL of the same host and port in turn") {
  // Same host and port, other scheme: the kept connection must not be reused for it.
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  BackgroundIo background;
  const std::string secure_url = backend.receiver.url("/a");
  const std::string plain_url =
      "http://127.0.0.1:" + std::to_string(backend.receiver.port()) + "/b";
  auto calls = [&]() -> net::awaitable<std::vector<bool>> {
    HttpClient client(co_await net::this_coro::executor, backend.trusting(memory));
    std::vector<bool> answered;
    for (const std::string& url : {secure_url, plain_url, secure_url}) {
      auto call = client.get(url);
      auto result = co_await std::move(call);
      answered.push_back(result && result->result() == http::status::ok);
    }
    co_return answered;
  };

  // Plain HTTP to a TLS port is not answered (the receiver drops what is not a handshake).
  CHECK(background.run(calls()) == std::vector<bool>{true, false, true});
  CHECK(backend.receiver.request_count() == 2);
  CHECK(backend.receiver.connections_accepted() == 3);
}

TEST_CASE(
    "clients with the same TLS settings share one context and its sessions until a file of it "
    "changes") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  BackgroundIo background;
  const std::string url = backend.receiver.url("/x");
  // A CA file of the test's own, which it replaces (a new file renamed over it) and removes.
  const TemporaryFile ca("shared-ca.pem", backend.certificates.ca_pem);
  HttpClientOptions options = client_into(memory);
  options.tls.ca_file = ca.path();
  auto call = [&] { return background.run(traced_get(url, options)); };

  // Each call is a client of its own, on a connection of its own: the second resumes the first's
  // session, which only a context kept between them can do.
  auto first = call();
  auto second = call();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(backend.receiver.connections_accepted() == 2);
  CHECK(backend.receiver.tls_sessions_resumed() == 1);

  // Another CA in the file: read again, and the server is no longer trusted (no session of the
  // old context is offered to skip the verification).
  ca.replace(backend.certificates.other_ca_pem);
  auto distrusted = call();
  REQUIRE_FALSE(distrusted);
  CHECK_THAT(distrusted.error().message, Catch::Contains("certificate verify failed"));

  // The file gone: the call says which file it could not read.
  std::filesystem::remove(ca.path());
  auto unreadable = call();
  REQUIRE_FALSE(unreadable);
  CHECK_THAT(unreadable.error().message,
             Catch::Contains("cannot load CA certificates from \"" + ca.path() + "\""));

  // The right CA back: trusted again, with a full handshake (a new context has no sessions).
  ca.replace(backend.certificates.ca_pem);
  auto trusted = call();
  INFO((trusted ? std::string("answered") : trusted.error().message));
  REQUIRE(trusted);
  CHECK(trusted->result() == http::status::ok);
  CHECK(backend.receiver.tls_sessions_resumed() == 1);
}

TEST_CASE("one HttpClient reads its TLS files again for a new connection once they changed") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  backend.receiver.set_default_response({.close_connection = true});
  BackgroundIo background;
  const std::string url = backend.receiver.url("/rotated");
  const TemporaryFile ca("client-rotated-ca.pem", backend.certificates.other_ca_pem);
  HttpClientOptions options = client_into(memory);
  options.tls.ca_file = ca.path();
  auto calls = [&]() -> net::awaitable<std::vector<std::string>> {
    HttpClient client(co_await net::this_coro::executor, options);
    std::vector<std::string> outcomes;
    for (int index = 0; index < 3; ++index) {
      if (index == 1) ca.replace(backend.certificates.ca_pem);  // the right CA now
      if (index == 2) std::filesystem::remove(ca.path());       // gone: the last context serves on
      auto call = client.get(url);
      auto result = co_await std::move(call);
      outcomes.push_back(result ? std::to_string(result->result_int()) : result.error().message);
    }
    co_return outcomes;
  };

  auto outcomes = background.run(calls());
  REQUIRE(outcomes.size() == 3);
  CHECK_THAT(outcomes[0], Catch::Contains("certificate verify failed"));
  CHECK(outcomes[1] == "200");
  CHECK(outcomes[2] == "200");
  CHECK(backend.receiver.request_count() == 2);
}

TEST_CASE("HttpClient keeps a TLS session for each server it talked to") {
  MemoryProvider memory(roomy_settings());
  TlsBackend first;
  HttpReceiver second(HttpReceiver::Options{
      .tls = ReceiverTls{
          first.certificates.server_certificate_pem, first.certificates.server_key_pem, {}}});
  first.receiver.set_default_response({.close_connection = true});
  second.set_default_response({.close_connection = true});
  BackgroundIo background;
  const std::vector<std::string> urls = {first.receiver.url("/a"), first.receiver.url("/b"),
                                         second.url("/c"), first.receiver.url("/d")};

  CHECK(background.run(get_through_one_client(urls, first.trusting(memory))) == 4);
  // The second call resumed the first's session, and the fourth the second's, although the
  // third went to another server (a session is offered only to the server it came from).
  CHECK(first.receiver.connections_accepted() == 3);
  CHECK(first.receiver.tls_sessions_resumed() == 2);
  CHECK(second.connections_accepted() == 1);
  CHECK(second.tls_sessions_resumed() == 0);
}
