// The exporters' transport through a real forward proxy on 127.0.0.1: absolute-form http,
// CONNECT tunnels for https, proxy credentials, and proxies that refuse, fail or hang.
#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "support/fake_transport_clock.hpp"
#include "support/forward_proxy.hpp"
#include "support/http_receiver.hpp"
#include "support/span_samples.hpp"
#include "support/test_certificates.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/exporters/otlp.hpp"
#include "tachi_trace/exporters/zipkin.hpp"
#include "tachi_trace/transport.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
using namespace std::chrono_literals;
using Outcome = TransportResult::Outcome;

namespace {

// base64("collector:s3cret")
constexpr std::string_view credentials = "Basic Y29sbGVjdG9yOnMzY3JldA==";

struct ProxiedTransport {
  std::shared_ptr<FakeTransportClock> clock = std::make_shared<FakeTransportClock>();
  std::unique_ptr<HttpTransport> transport;

  ProxiedTransport(const std::string& url, HttpProxy proxy, std::string ca_file = {}) {
    HttpTransportSettings settings;
    settings.url = *parse_http_url(url);
    settings.proxy = std::move(proxy);
    settings.tls.ca_file = std::move(ca_file);
    settings.clock = clock;
    settings.retry.max_attempts = 3;
    auto made = HttpTransport::create(std::move(settings));
    if (!made) FAIL(made.error().message);
    transport = std::move(*made);
  }

  TransportResult post(std::string_view body, std::chrono::milliseconds timeout = 10s) {
    return transport->post("text/plain", body, clock->now() + timeout);
  }
};

std::string proxy_name(const ForwardProxy& proxy) {
  return "the proxy 127.0.0.1:" + std::to_string(proxy.port());
}

struct TlsReceiver {
  TestCertificates certificates = make_test_certificates();
  HttpReceiver receiver{HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}}};
  TemporaryFile ca{"ca.pem", certificates.ca_pem};
  TemporaryFile other_ca{"other-ca.pem", certificates.other_ca_pem};
};

}  // namespace

TEST_CASE("http posts go to the proxy in absolute form, with its credentials") {
  HttpReceiver receiver;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  ProxiedTransport client(receiver.url("/v1/traces?tenant=7"),
                          proxy_setting(proxy, "collector:s3cret"));

  for (std::string_view body : {"first batch", "second batch", "third batch"})
    REQUIRE(client.post(body).delivered());

  const auto proxied = proxy.requests();
  REQUIRE(proxied.size() == 3);
  const std::string origin = "127.0.0.1:" + std::to_string(receiver.port());
  for (const auto& request : proxied) {
    CHECK(request.method == "POST");
    CHECK(request.target == "http://" + origin + "/v1/traces?tenant=7");
    CHECK(request.host_header == origin);
    CHECK(request.proxy_authorization == credentials);
    CHECK(request.connection == 1);  // kept alive through the proxy
  }
  const auto received = receiver.requests();
  REQUIRE(received.size() == 3);
  CHECK(received[0].target == "/v1/traces?tenant=7");
  CHECK(received[0].body == "first batch");
  CHECK(received[2].body == "third batch");
  CHECK_FALSE(received[0].has_header("Proxy-Authorization"));
  CHECK(client.transport->connections_opened() == 1);
}

TEST_CASE("https posts go through a CONNECT tunnel, TLS with the server itself") {
  TlsReceiver server;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  ProxiedTransport client(server.receiver.url("/v1/traces"),
                          proxy_setting(proxy, "collector:s3cret"), server.ca.path());

  for (std::string_view body : {"secret spans", "more spans", "last spans"})
    REQUIRE(client.post(body).delivered());

  // One tunnel carried the three posts; the proxy saw nothing of them but the CONNECT.
  const auto proxied = proxy.requests();
  REQUIRE(proxied.size() == 1);
  const std::string origin = "127.0.0.1:" + std::to_string(server.receiver.port());
  CHECK(proxied[0].method == "CONNECT");
  CHECK(proxied[0].target == origin);
  CHECK(proxied[0].host_header == origin);
  CHECK(proxied[0].proxy_authorization == credentials);
  const auto received = server.receiver.requests();
  REQUIRE(received.size() == 3);
  CHECK(received[0].target == "/v1/traces");
  CHECK(received[1].body == "more spans");
  CHECK_FALSE(received[0].has_header("Proxy-Authorization"));
  CHECK(server.receiver.connections_accepted() == 1);
  CHECK(proxy.connections_accepted() == 1);
}

TEST_CASE("through a tunnel the server's certificate is still verified") {
  TlsReceiver server;
  ForwardProxy proxy;
  ProxiedTransport client(server.receiver.url("/v1/traces"), proxy_setting(proxy),
                          server.other_ca.path());

  auto result = client.post("secret spans");
  CHECK(result.outcome == Outcome::failed);
  CHECK(result.attempts == 1);
  CHECK_THAT(result.reason, Catch::Contains("failed: certificate verify failed"));
  CHECK(proxy.request_count() == 1);
  CHECK(server.receiver.request_count() == 0);
}

TEST_CASE("a proxy that refuses the credentials fails the post without retry") {
  TlsReceiver server;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  ProxiedTransport client(server.receiver.url("/v1/traces"),
                          proxy_setting(proxy, "collector:wrong"), server.ca.path());

  auto result = client.post("secret spans");
  CHECK(result.outcome == Outcome::failed);
  CHECK(result.attempts == 1);
  CHECK(result.reason ==
        "POST " + server.receiver.url("/v1/traces") + ": " + proxy_name(proxy) +
            " refused the tunnel to 127.0.0.1:" + std::to_string(server.receiver.port()) +
            ": 407 Proxy Authentication Required");
  CHECK_THAT(result.reason, !Catch::Contains("wrong"));
  CHECK(server.receiver.request_count() == 0);
}

TEST_CASE("a proxy answering CONNECT with 502 is tried again, then given up on") {
  TlsReceiver server;
  ForwardProxy proxy({.connect_status = 502u});
  ProxiedTransport client(server.receiver.url("/v1/traces"), proxy_setting(proxy),
                          server.ca.path());

  auto result = client.post("spans");
  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 3);
  CHECK_THAT(result.reason, Catch::Contains("refused the tunnel"));
  CHECK_THAT(result.reason, Catch::Contains(": 502 Bad Gateway"));
  CHECK(proxy.request_count() == 3);
  CHECK(client.clock->sleeps().size() == 2);  // the backoff between attempts

  SECTION("403 is final") {
    ForwardProxy forbidding({.connect_status = 403u});
    ProxiedTransport refused(server.receiver.url("/"), proxy_setting(forbidding), server.ca.path());
    auto final_result = refused.post("spans");
    CHECK(final_result.outcome == Outcome::failed);
    CHECK(final_result.attempts == 1);
    CHECK_THAT(final_result.reason, Catch::EndsWith(": 403 Forbidden"));
  }
}

TEST_CASE("a proxy that is down is named in the reason") {
  std::uint16_t port = 0;
  {
    ForwardProxy stopped;
    port = stopped.port();
  }
  HttpReceiver receiver;
  auto proxy = parse_http_proxy("http://127.0.0.1:" + std::to_string(port));
  ProxiedTransport client(receiver.url("/v1/traces"), *proxy);

  auto result = client.post("spans");
  CHECK(result.outcome == Outcome::gave_up);
  CHECK(result.attempts == 3);
  CHECK_THAT(result.reason, Catch::Contains("could not connect to the proxy 127.0.0.1:" +
                                            std::to_string(port) + ": Connection refused"));
  CHECK(receiver.request_count() == 0);
}

TEST_CASE("a proxy that never answers CONNECT ends the post at the deadline") {
  TlsReceiver server;
  ForwardProxy proxy({.hang_on_connect = true});
  ProxiedTransport client(server.receiver.url("/v1/traces"), proxy_setting(proxy),
                          server.ca.path());

  auto result = client.post("spans", 300ms);
  CHECK(result.outcome == Outcome::gave_up);
  CHECK_THAT(result.reason, Catch::EndsWith("no response from " + proxy_name(proxy) +
                                            " before the export deadline"));
  CHECK(proxy.request_count() == 1);
}

TEST_CASE("exporters made from the environment send through HTTP_PROXY, except NO_PROXY hosts") {
  HttpReceiver collector;
  HttpReceiver zipkin;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  const std::string proxy_url = "http://collector:s3cret@127.0.0.1:" + std::to_string(proxy.port());
  // The OTLP collector by name, the Zipkin one by address: NO_PROXY exempts only the address.
  auto config = finalize_config(
      {},
      Environment::from_pairs(
          {{"HTTP_PROXY", proxy_url},
           {"NO_PROXY", "127.0.0.1"},
           {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:" + std::to_string(collector.port())},
           {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", zipkin.url("/api/v2/spans")}}));
  REQUIRE(config);
  CHECK(config->diagnostics().empty());
  HttpExporterOptions quiet;
  quiet.diagnostics = [](std::string_view) {};
  auto otlp = make_otlp_exporter(config->otlp(), quiet);
  auto direct = make_zipkin_exporter(config->zipkin(), quiet);
  REQUIRE(otlp);
  REQUIRE(direct);
  SpanSamples samples;
  const SpanData span = samples.full_span();

  REQUIRE((*otlp)->export_spans(batch_of(samples.resource, {&span})).ok());
  REQUIRE((*direct)->export_spans(batch_of(samples.resource, {&span})).ok());

  const auto proxied = proxy.requests();
  REQUIRE(proxied.size() == 1);
  CHECK(proxied[0].target == "http://localhost:" + std::to_string(collector.port()) + "/v1/traces");
  CHECK(proxied[0].proxy_authorization == credentials);
  REQUIRE(collector.request_count() == 1);
  CHECK(collector.requests()[0].header("Content-Type") == "application/x-protobuf");
  CHECK(zipkin.request_count() == 1);
}

TEST_CASE("cancel from another thread ends a post waiting for the proxy's CONNECT answer") {
  TlsReceiver server;
  ForwardProxy proxy({.hang_on_connect = true});
  ProxiedTransport client(server.receiver.url("/v1/traces"), proxy_setting(proxy),
                          server.ca.path());

  std::thread canceller([&] {
    if (proxy.wait_for_requests(1, 10s)) client.transport->cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = client.post("spans", 120s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  canceller.join();

  CHECK(result.outcome == Outcome::cancelled);
  CHECK(result.attempts == 1);
  CHECK(elapsed < 60s);
  CHECK(server.receiver.request_count() == 0);
}
