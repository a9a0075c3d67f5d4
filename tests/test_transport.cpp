#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <thread>

#include "support/fake_transport_clock.hpp"
#include "support/http_receiver.hpp"
#include "support/test_certificates.hpp"
#include "tachi_trace/transport.hpp"
#include "tachi_trace/version.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
using namespace std::chrono_literals;
using Outcome = TransportResult::Outcome;

namespace {

HttpTransportSettings settings_for(const std::string& url) {
  HttpTransportSettings settings;
  settings.url = *parse_http_url(url);
  return settings;
}

std::unique_ptr<HttpTransport> make_transport(HttpTransportSettings settings) {
  auto transport = HttpTransport::create(std::move(settings));
  if (!transport) FAIL("creating the transport failed: " << transport.error().message);
  return std::move(*transport);
}

/// A transport whose waits between attempts go to `clock` (so tests need not wait).
std::unique_ptr<HttpTransport> make_transport(const std::string& url,
                                              std::shared_ptr<FakeTransportClock> clock) {
  auto settings = settings_for(url);
  settings.clock = std::move(clock);
  return make_transport(std::move(settings));
}

std::chrono::steady_clock::time_point in(std::chrono::milliseconds timeout,
                                         const TransportClock& clock) {
  return clock.now() + timeout;
}

/// A port on 127.0.0.1 that nothing listens on (a receiver's, after it stopped).
std::uint16_t closed_port() {
  HttpReceiver receiver;
  const std::uint16_t port = receiver.port();
  receiver.stop();
  return port;
}

}  // namespace

TEST_CASE("a post reaches the server with the body, content type, user agent and headers") {
  HttpReceiver receiver;
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/v1/traces?tenant=7"));
  settings.clock = clock;
  settings.headers = {{"Authorization", "Bearer secret-token"}, {"X-Scope-OrgID", "acme"}};
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("application/x-protobuf", "payload bytes", in(10s, *clock));

  REQUIRE(result.delivered());
  CHECK(result.attempts == 1);
  CHECK(result.response.status == 200);
  CHECK(result.reason.empty());
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/v1/traces?tenant=7");
  CHECK(requests[0].body == "payload bytes");
  CHECK(requests[0].header("Content-Type") == "application/x-protobuf");
  CHECK(requests[0].header("Content-Length") == "13");
  CHECK(requests[0].header("Host") == "127.0.0.1:" + std::to_string(receiver.port()));
  CHECK(requests[0].header("User-Agent") ==
        std::string(library_name) + "/" + std::string(library_version));
  CHECK(requests[0].header("Authorization") == "Bearer secret-token");
  CHECK(requests[0].header("X-Scope-OrgID") == "acme");
  CHECK_FALSE(requests[0].has_header("Content-Encoding"));
  CHECK(clock->sleeps().empty());
}

TEST_CASE("one kept-alive connection carries many posts") {
  HttpReceiver receiver;
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  for (int index = 0; index < 5; ++index)
    REQUIRE(transport->post("text/plain", "body " + std::to_string(index), in(10s, *clock))
                .delivered());

  CHECK(receiver.connections_accepted() == 1);
  CHECK(transport->connections_opened() == 1);
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 5);
  for (const auto& request : requests)
    CHECK(request.connection == 1);
  CHECK(requests[4].body == "body 4");
}

TEST_CASE("a connection the server closed is replaced at once, without a retry wait") {
  HttpReceiver receiver;
  receiver.add_response({.status = 200, .close_connection = true});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  REQUIRE(transport->post("text/plain", "first", in(10s, *clock)).delivered());
  auto second = transport->post("text/plain", "second", in(10s, *clock));

  REQUIRE(second.delivered());
  CHECK(second.attempts == 1);
  CHECK(clock->sleeps().empty());
  CHECK(receiver.connections_accepted() == 2);
  CHECK(receiver.requests().at(1).connection == 2);
}

TEST_CASE("503 is retried after an exponential backoff with jitter, then succeeds") {
  HttpReceiver receiver;
  receiver.add_response({.status = 503});
  receiver.add_response({.status = 503});
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.retry.initial_backoff = 1000ms;
  settings.retry.backoff_multiplier = 2.0;
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("text/plain", "again", in(60s, *clock));

  REQUIRE(result.delivered());
  CHECK(result.attempts == 3);
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].body == "again");
  auto sleeps = clock->sleeps();
  REQUIRE(sleeps.size() == 2);
  // Each wait is drawn from [backoff / 2, backoff]; the backoff doubles: 1 s, then 2 s.
  CHECK(sleeps[0] >= 500ms);
  CHECK(sleeps[0] <= 1000ms);
  CHECK(sleeps[1] >= 1000ms);
  CHECK(sleeps[1] <= 2000ms);
}

TEST_CASE("the backoff never exceeds its maximum") {
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  settings.clock = clock;
  settings.retry = {.max_attempts = 8,
                    .initial_backoff = 1000ms,
                    .max_backoff = 3000ms,
                    .backoff_multiplier = 2.0};
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("text/plain", "x", in(3600s, *clock));

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 8);
  auto sleeps = clock->sleeps();
  REQUIRE(sleeps.size() == 7);
  for (std::size_t index = 2; index < sleeps.size(); ++index) {
    CHECK(sleeps[index] >= 1500ms);
    CHECK(sleeps[index] <= 3000ms);
  }
}

TEST_CASE("429 with Retry-After in seconds waits exactly that long") {
  HttpReceiver receiver;
  receiver.add_response({.status = 429, .headers = {{"Retry-After", "3"}}});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  auto result = transport->post("text/plain", "throttled", in(60s, *clock));

  REQUIRE(result.delivered());
  CHECK(result.attempts == 2);
  REQUIRE(clock->sleeps() == std::vector<std::chrono::nanoseconds>{3s});
}

TEST_CASE("Retry-After as an HTTP date, in each of the three date forms") {
  // The fake wall clock reads 2024-03-05 10:00:00 UTC (a Tuesday) when the answer arrives.
  auto [retry_after, expected_wait] = GENERATE(table<std::string, std::chrono::seconds>({
      {"Tue, 05 Mar 2024 10:00:07 GMT", 7s},
      {"Tuesday, 05-Mar-24 10:00:09 GMT", 9s},
      {"Tue Mar  5 10:00:11 2024", 11s},
      {"Tue, 05 Mar 2024 09:59:00 GMT", 0s},  // already past: retry at once
      {"Sun, 06 Nov 1499 08:49:37 GMT", 0s},  // before what the system clock can hold
  }));
  HttpReceiver receiver;
  receiver.add_response({.status = 503, .headers = {{"Retry-After", retry_after}}});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  auto result = transport->post("text/plain", "later", in(60s, *clock));

  INFO("Retry-After: " << retry_after);
  REQUIRE(result.delivered());
  REQUIRE(clock->sleeps() == std::vector<std::chrono::nanoseconds>{expected_wait});
}

TEST_CASE("a Retry-After date centuries ahead asks for a day at most") {
  HttpReceiver receiver;
  receiver.set_default_response(
      {.status = 503, .headers = {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}}});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/v1/traces"), clock);

  auto result = transport->post("text/plain", "x", in(10s, *clock));

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 1);
  CHECK_THAT(result.reason, Catch::EndsWith("the server asked to retry after 86400.0 s, past the "
                                            "deadline"));
}

TEST_CASE("an unreadable Retry-After falls back to the backoff") {
  HttpReceiver receiver;
  receiver.add_response({.status = 503, .headers = {{"Retry-After", "soon, perhaps"}}});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  REQUIRE(transport->post("text/plain", "x", in(60s, *clock)).delivered());
  auto sleeps = clock->sleeps();
  REQUIRE(sleeps.size() == 1);
  CHECK(sleeps[0] >= 500ms);
  CHECK(sleeps[0] <= 1000ms);
}

TEST_CASE("a Retry-After beyond the deadline ends the post at once") {
  HttpReceiver receiver;
  receiver.set_default_response({.status = 503, .headers = {{"Retry-After", "120"}}});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/v1/traces"), clock);

  auto result = transport->post("text/plain", "x", in(10s, *clock));

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 1);
  CHECK(result.response.status == 503);
  CHECK(result.reason == "POST " + receiver.url("/v1/traces") +
                             ": the server answered 503 Service Unavailable; the server asked to "
                             "retry after 120.0 s, past the deadline");
  CHECK(clock->sleeps().empty());
  CHECK(receiver.request_count() == 1);
}

TEST_CASE("statuses other than 429, 502, 503 and 504 are final") {
  const unsigned status = GENERATE(400u, 401u, 403u, 404u, 413u, 500u, 501u, 301u);
  HttpReceiver receiver;
  receiver.set_default_response({.status = status, .body = "no"});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  INFO("status " << status);
  CHECK(result.outcome == Outcome::refused);
  CHECK(result.attempts == 1);
  CHECK(result.response.status == status);
  CHECK(result.response.body == "no");
  CHECK(result.reason.find("the server answered " + std::to_string(status)) != std::string::npos);
  CHECK(receiver.request_count() == 1);
  CHECK(clock->sleeps().empty());
}

TEST_CASE("400 names its reason and is not retried") {
  HttpReceiver receiver;
  receiver.set_default_response({.status = 400});
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/v1/traces"), clock);

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  CHECK(result.outcome == Outcome::refused);
  CHECK(result.reason ==
        "POST " + receiver.url("/v1/traces") + ": the server answered 400 Bad Request");
}

TEST_CASE("502, 503 and 504 are retried until the attempts run out") {
  const unsigned status = GENERATE(502u, 503u, 504u, 429u);
  HttpReceiver receiver;
  receiver.set_default_response({.status = status});
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.retry.max_attempts = 4;
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("text/plain", "x", in(3600s, *clock));

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 4);
  CHECK(receiver.request_count() == 4);
  CHECK(clock->sleeps().size() == 3);
}

TEST_CASE("a refused connection is retried, and succeeds once the server is up") {
  const std::uint16_t port = closed_port();
  auto clock = std::make_shared<FakeTransportClock>();
  std::unique_ptr<HttpReceiver> receiver;
  // The server comes up while the transport waits for its second attempt.
  clock->on_sleep([&] {
    if (!receiver) receiver = std::make_unique<HttpReceiver>(HttpReceiver::Options{.port = port});
  });
  auto transport = make_transport("http://127.0.0.1:" + std::to_string(port) + "/", clock);

  auto result = transport->post("text/plain", "finally", in(60s, *clock));

  REQUIRE(result.delivered());
  CHECK(result.attempts == 2);
  CHECK(clock->sleeps().size() == 1);
  REQUIRE(receiver);
  CHECK(receiver->requests().at(0).body == "finally");
}

TEST_CASE("a server that is down makes the post give up with the connection error") {
  const std::uint16_t port = closed_port();
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for("http://127.0.0.1:" + std::to_string(port) + "/");
  settings.clock = clock;
  settings.retry.max_attempts = 3;
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 3);
  CHECK(result.response.status == 0);
  CHECK(result.reason == "POST http://127.0.0.1:" + std::to_string(port) +
                             "/: could not connect to 127.0.0.1:" + std::to_string(port) +
                             ": Connection refused");
}

TEST_CASE("a connection closed without an answer is retried") {
  HttpReceiver receiver;
  receiver.add_response(ScriptedResponse::close_without_answer());
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  REQUIRE(result.delivered());
  CHECK(result.attempts == 2);
  CHECK(receiver.request_count() == 2);
  CHECK(clock->sleeps().size() == 1);
}

TEST_CASE("an answer that is not HTTP fails without retry") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::garbage("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport = make_transport(receiver.url("/"), clock);

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  CHECK(result.outcome == Outcome::failed);
  CHECK(result.attempts == 1);
  CHECK(result.reason.find("is not valid HTTP") != std::string::npos);
  CHECK(receiver.request_count() == 1);
}

TEST_CASE("a response body over the limit fails without retry") {
  HttpReceiver receiver;
  receiver.set_default_response({.status = 200, .body = std::string(4096, 'x')});
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.max_response_body_bytes = 1024;
  auto transport = make_transport(std::move(settings));

  auto result = transport->post("text/plain", "x", in(60s, *clock));

  CHECK(result.outcome == Outcome::failed);
  CHECK(result.attempts == 1);
  CHECK(result.reason.find("longer than the limit of 1024 bytes") != std::string::npos);

  SECTION("and the next post works on a new connection") {
    receiver.set_default_response({.status = 200, .body = "ok"});
    auto next = transport->post("text/plain", "y", in(60s, *clock));
    REQUIRE(next.delivered());
    CHECK(next.response.body == "ok");
    CHECK(receiver.connections_accepted() == 2);
  }
}

TEST_CASE("a server that never answers ends the post at the deadline") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::hang());
  auto transport = make_transport(settings_for(receiver.url("/")));

  const auto started = std::chrono::steady_clock::now();
  auto result = transport->post("text/plain", "x", started + 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.reason == "POST " + receiver.url("/") + ": no response from 127.0.0.1:" +
                             std::to_string(receiver.port()) + " before the export deadline");
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 10s);  // bounded by the deadline, not by the server
}

TEST_CASE("cancel from another thread ends a post stuck on a hanging server") {
  HttpReceiver receiver;
  receiver.set_default_response(ScriptedResponse::hang());
  auto transport = make_transport(settings_for(receiver.url("/")));

  std::thread canceller([&] {
    if (receiver.wait_for_requests(1, 10s)) transport->cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = transport->post("text/plain", "x", started + 120s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  canceller.join();

  CHECK(result.outcome == Outcome::cancelled);
  CHECK(elapsed < 60s);

  SECTION("and every later post returns at once, sending nothing") {
    auto later = transport->post("text/plain", "y", std::chrono::steady_clock::now() + 120s);
    CHECK(later.outcome == Outcome::cancelled);
    CHECK(later.attempts == 0);
    CHECK(receiver.request_count() == 1);
  }
}

TEST_CASE("cancel ends the wait between attempts") {
  HttpReceiver receiver;
  receiver.set_default_response({.status = 503, .headers = {{"Retry-After", "100"}}});
  auto transport = make_transport(settings_for(receiver.url("/")));

  std::thread canceller([&] {
    if (receiver.wait_for_requests(1, 10s)) {
      std::this_thread::sleep_for(50ms);  // let the transport start waiting
      transport->cancel();
    }
  });
  auto result = transport->post("text/plain", "x", std::chrono::steady_clock::now() + 300s);
  canceller.join();

  CHECK(result.outcome == Outcome::cancelled);
  CHECK(receiver.request_count() == 1);
}

TEST_CASE("gzip bodies arrive compressed and decompress to what was sent") {
  HttpReceiver receiver;
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.gzip = true;
  auto transport = make_transport(std::move(settings));
  std::string body;
  for (int index = 0; index < 2000; ++index)
    body += "span " + std::to_string(index) + " service.name=checkout;";

  REQUIRE(transport->post("application/json", body, in(10s, *clock)).delivered());
  REQUIRE(transport->post("application/json", "second", in(10s, *clock)).delivered());

  auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("Content-Encoding") == "gzip");
  CHECK(requests[0].body == body);
  CHECK(requests[0].wire_body_size < body.size() / 4);
  CHECK(requests[0].header("Content-Length") == std::to_string(requests[0].wire_body_size));
  CHECK(requests[1].body == "second");
}

TEST_CASE("header settings are checked when the transport is made, without showing values") {
  auto settings = settings_for("http://127.0.0.1:4318/");
  SECTION("a line break in a value") {
    settings.headers = {{"api-key", "abc"}, {"x-key", "top-secret\r\nX-Evil: 1"}};
    auto transport = HttpTransport::create(settings);
    REQUIRE_FALSE(transport);
    CHECK(transport.error().message == "header 2 (\"x-key\") has a value with a line break or NUL");
  }
  SECTION("a name that is not a token") {
    settings.headers = {{"bad name", "top-secret"}};
    auto transport = HttpTransport::create(settings);
    REQUIRE_FALSE(transport);
    CHECK(transport.error().message == "header 1 has an invalid name (expected an HTTP token)");
  }
  SECTION("a header that frames the message") {
    settings.headers = {{"Content-Length", "5"}};
    auto transport = HttpTransport::create(settings);
    REQUIRE_FALSE(transport);
    CHECK(transport.error().message ==
          "header 1 (\"Content-Length\") is set by the transport itself");
  }
}

TEST_CASE("https verifies the server against a custom CA") {
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}});
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  TemporaryFile other_ca("other-ca.pem", certificates.other_ca_pem);
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/v1/traces"));
  settings.clock = clock;

  SECTION("trusted: delivered, over one connection") {
    settings.tls.ca_file = ca.path();
    auto transport = make_transport(settings);
    REQUIRE(transport->post("text/plain", "secret spans", in(10s, *clock)).delivered());
    REQUIRE(transport->post("text/plain", "more", in(10s, *clock)).delivered());
    CHECK(receiver.requests().at(0).body == "secret spans");
    CHECK(receiver.connections_accepted() == 1);
  }
  SECTION("signed by another CA: refused without retry") {
    settings.tls.ca_file = other_ca.path();
    auto transport = make_transport(settings);
    auto result = transport->post("text/plain", "secret spans", in(10s, *clock));
    CHECK(result.outcome == Outcome::failed);
    CHECK(result.attempts == 1);
    CHECK(result.reason.find("TLS handshake with 127.0.0.1:" + std::to_string(receiver.port()) +
                             " failed: certificate verify failed") != std::string::npos);
    CHECK(receiver.request_count() == 0);
  }
  SECTION("not in the system store") {
    auto transport = make_transport(settings);
    auto result = transport->post("text/plain", "secret spans", in(10s, *clock));
    CHECK(result.outcome == Outcome::failed);
    CHECK(receiver.request_count() == 0);
  }
}

TEST_CASE("a reconnection to an https server resumes the TLS session") {
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}});
  receiver.set_default_response({.close_connection = true});
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/v1/traces"));
  settings.clock = clock;
  settings.tls.ca_file = ca.path();
  auto transport = make_transport(settings);

  for (std::string_view body : {"one", "two", "three"})
    REQUIRE(transport->post("text/plain", body, in(10s, *clock)).delivered());

  CHECK(receiver.connections_accepted() == 3);
  CHECK(receiver.tls_sessions_resumed() == 2);
  CHECK(receiver.requests().at(2).body == "three");
}

TEST_CASE("each new https connection reads the TLS files as they are then") {
  // A CA file replaced while the process runs (a rotated certificate) is used by the next
  // connection; one that cannot be read leaves the last good context in use.
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}});
  receiver.set_default_response({.close_connection = true});  // each post connects anew
  const TemporaryFile ca("rotated-ca.pem", certificates.other_ca_pem);
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/v1/traces"));
  settings.clock = clock;
  settings.tls.ca_file = ca.path();
  auto transport = make_transport(settings);

  // Trusting another CA: the server's certificate is refused.
  auto refused = transport->post("text/plain", "one", in(10s, *clock));
  CHECK(refused.outcome == Outcome::failed);
  CHECK_THAT(refused.reason, Catch::Contains("certificate verify failed"));

  // The right CA now: the next connection trusts the server, without a new transport.
  ca.replace(certificates.ca_pem);
  REQUIRE(transport->post("text/plain", "two", in(10s, *clock)).delivered());

  // The file gone: the context that worked serves on (its session resumed, as before).
  std::filesystem::remove(ca.path());
  REQUIRE(transport->post("text/plain", "three", in(10s, *clock)).delivered());
  CHECK(receiver.tls_sessions_resumed() == 1);

  // Another CA again: read, and refused again.
  ca.replace(certificates.other_ca_pem);
  auto refused_again = transport->post("text/plain", "four", in(10s, *clock));
  CHECK(refused_again.outcome == Outcome::failed);
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == "two");
  CHECK(requests[1].body == "three");
}

TEST_CASE("https checks the host name, not only the chain") {
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(HttpReceiver::Options{
      .tls = ReceiverTls{certificates.client_certificate_pem, certificates.client_key_pem, {}}});
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.tls.ca_file = ca.path();
  auto transport = make_transport(settings);

  // The client certificate is signed by the trusted CA but names no host.
  auto result = transport->post("text/plain", "x", in(10s, *clock));

  CHECK(result.outcome == Outcome::failed);
  CHECK(receiver.request_count() == 0);
}

TEST_CASE("mutual TLS presents the client certificate") {
  const TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver(
      HttpReceiver::Options{.tls = ReceiverTls{certificates.server_certificate_pem,
                                               certificates.server_key_pem, certificates.ca_pem}});
  TemporaryFile ca("ca.pem", certificates.ca_pem);
  TemporaryFile client_certificate("client.pem", certificates.client_certificate_pem);
  TemporaryFile client_key("client-key.pem", certificates.client_key_pem);
  auto clock = std::make_shared<FakeTransportClock>();
  auto settings = settings_for(receiver.url("/"));
  settings.clock = clock;
  settings.tls.ca_file = ca.path();
  settings.retry.max_attempts = 1;

  SECTION("with the certificate") {
    settings.tls.client_certificate_file = client_certificate.path();
    settings.tls.client_key_file = client_key.path();
    auto transport = make_transport(settings);
    REQUIRE(transport->post("text/plain", "mutual", in(10s, *clock)).delivered());
    CHECK(receiver.requests().at(0).body == "mutual");
  }
  SECTION("without it, the server refuses the connection") {
    auto transport = make_transport(settings);
    auto result = transport->post("text/plain", "mutual", in(10s, *clock));
    CHECK_FALSE(result.delivered());
    CHECK(receiver.request_count() == 0);
  }
}

TEST_CASE("TLS files that cannot be read are errors when the transport is made") {
  auto settings = settings_for("https://127.0.0.1:4318/");
  SECTION("CA file") {
    settings.tls.ca_file = "/nonexistent/ca.pem";
    auto transport = HttpTransport::create(settings);
    REQUIRE_FALSE(transport);
    CHECK(transport.error().message.starts_with(
        "cannot load CA certificates from \"/nonexistent/ca.pem\""));
  }
  SECTION("a client certificate without a key") {
    settings.tls.client_certificate_file = "/nonexistent/client.pem";
    auto transport = HttpTransport::create(settings);
    REQUIRE_FALSE(transport);
    CHECK(transport.error().message ==
          "mutual TLS needs both a client certificate and a client key file");
  }
}

TEST_CASE("a host name is looked up, and every address it has is tried") {
  HttpReceiver receiver;  // on 127.0.0.1 only: "localhost" may give ::1 first
  auto clock = std::make_shared<FakeTransportClock>();
  auto transport =
      make_transport("http://localhost:" + std::to_string(receiver.port()) + "/", clock);

  auto result = transport->post("text/plain", "by name", in(10s, *clock));

  REQUIRE(result.delivered());
  CHECK(receiver.requests().at(0).header("Host") == "localhost:" + std::to_string(receiver.port()));
}

TEST_CASE("a name that cannot be looked up fails by the deadline") {
  auto settings = settings_for("http://no-such-host.invalid:4318/");
  settings.retry.max_attempts = 1;
  auto transport = make_transport(std::move(settings));
  const auto started = std::chrono::steady_clock::now();

  auto result = transport->post("text/plain", "x", started + 3s);

  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.reason.find("look") != std::string::npos);  // "could not look up" or "looking up"
  CHECK(std::chrono::steady_clock::now() - started < 20s);
}
