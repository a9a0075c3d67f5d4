// The traced HTTP client through a real forward proxy on 127.0.0.1: absolute-form http, CONNECT
// tunnels for https, NO_PROXY, and what a refusing or absent proxy looks like on the result and
// on the CLIENT span.
#include <catch2/catch.hpp>
#include <string>

#include "support/beast_support.hpp"
#include "support/forward_proxy.hpp"
#include "support/http_receiver.hpp"
#include "support/test_certificates.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

// base64("app:pa55")
constexpr std::string_view credentials = "Basic YXBwOnBhNTU=";

struct TlsBackend {
  const TestCertificates certificates = make_test_certificates();
  const TemporaryFile ca{"ca.pem", certificates.ca_pem};
  HttpReceiver receiver{HttpReceiver::Options{
      .tls = ReceiverTls{certificates.server_certificate_pem, certificates.server_key_pem, {}}}};
};

}  // namespace

TEST_CASE("an http call through a proxy: absolute form, its credentials, the server's span") {
  MemoryProvider memory(roomy_settings());
  HttpReceiver backend;
  backend.set_default_response({.body = "spec 7", .content_type = "text/plain"});
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  HttpClientOptions options = client_into(memory);
  options.proxies.http = proxy_setting(proxy, "app:pa55");
  BackgroundIo background;
  const std::string url = backend.url("/api/specs/7?full=1");

  auto result = background.run(traced_get(url, options));

  REQUIRE(result);
  CHECK(result->body() == "spec 7");
  const auto proxied = proxy.requests();
  REQUIRE(proxied.size() == 1);
  CHECK(proxied[0].method == "GET");
  CHECK(proxied[0].target == url);
  CHECK(proxied[0].proxy_authorization == credentials);
  const auto received = backend.requests();
  REQUIRE(received.size() == 1);
  CHECK(received[0].target == "/api/specs/7?full=1");
  CHECK(received[0].header("Host") == "127.0.0.1:" + std::to_string(backend.port()));
  CHECK_FALSE(received[0].has_header("Proxy-Authorization"));

  auto spans = wait_for_spans(memory, 1);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(string_attribute(client, "url.full") == url);
  CHECK(int_attribute(client, "server.port") == backend.port());
  CHECK(int_attribute(client, "network.peer.port") == proxy.port());  // the socket's peer
  CHECK(received[0].header("traceparent") ==
        "00-" + client.context.trace_id.to_hex() + "-" + client.context.span_id.to_hex() + "-03");
}

TEST_CASE("https calls go through one kept CONNECT tunnel, verified end to end") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  HttpClientOptions options = client_into(memory);
  options.tls.ca_file = backend.ca.path();
  options.proxies.https = proxy_setting(proxy, "app:pa55");
  options.proxies.http = HttpProxy{.host = "127.0.0.1", .port = 9};  // not for https
  BackgroundIo background;
  const std::string url = backend.receiver.url("/api/specs/7");

  CHECK(background.run(get_through_one_client({url, url, url}, options)) == 3);

  const auto proxied = proxy.requests();
  REQUIRE(proxied.size() == 1);
  CHECK(proxied[0].method == "CONNECT");
  CHECK(proxied[0].target == "127.0.0.1:" + std::to_string(backend.receiver.port()));
  CHECK(proxied[0].proxy_authorization == credentials);
  const auto received = backend.receiver.requests();
  REQUIRE(received.size() == 3);
  CHECK(received[2].target == "/api/specs/7");
  CHECK_FALSE(received[0].has_header("Proxy-Authorization"));
  CHECK(backend.receiver.connections_accepted() == 1);
  auto spans = wait_for_spans(memory, 3);
  CHECK(spans_of_kind(spans, SpanKind::client).size() == 3);
}

TEST_CASE("NO_PROXY hosts are called directly") {
  MemoryProvider memory(roomy_settings());
  HttpReceiver backend;
  ForwardProxy proxy;
  HttpClientOptions options = client_into(memory);
  options.proxies.http = proxy_setting(proxy);
  options.proxies.no_proxy = NoProxyRules("localhost,127.0.0.0/8");
  BackgroundIo background;

  auto result = background.run(traced_get(backend.url("/direct"), options));

  REQUIRE(result);
  CHECK(backend.request_count() == 1);
  CHECK(proxy.request_count() == 0);
}

TEST_CASE("a proxy that refuses the tunnel fails the call, error.type proxy_refused") {
  MemoryProvider memory(roomy_settings());
  TlsBackend backend;
  ForwardProxy proxy({.required_authorization = std::string(credentials)});
  HttpClientOptions options = client_into(memory);
  options.tls.ca_file = backend.ca.path();
  options.proxies.https = proxy_setting(proxy, "app:wrong");
  BackgroundIo background;
  const std::string url = backend.receiver.url("/x");

  auto result = background.run(traced_get(url, options));

  REQUIRE_FALSE(result);
  CHECK(result.error().code == Error::Code::io_failure);
  const std::string refusal =
      "the proxy 127.0.0.1:" + std::to_string(proxy.port()) +
      " refused the tunnel to 127.0.0.1:" + std::to_string(backend.receiver.port()) +
      ": 407 Proxy Authentication Required";
  CHECK(result.error().message == "GET " + url + ": proxy tunnel: " + refusal);
  CHECK(backend.receiver.request_count() == 0);
  auto spans = wait_for_spans(memory, 1);
  const SpanData& client = only_span_of_kind(spans, SpanKind::client);
  CHECK(client.status.code == StatusCode::error);
  CHECK(client.status.description == refusal);
  CHECK(string_attribute(client, "error.type") == "proxy_refused");
}

TEST_CASE("a proxy that is down fails the call at the connect step") {
  MemoryProvider memory(roomy_settings());
  HttpReceiver backend;
  std::uint16_t port = 0;
  {
    ForwardProxy stopped;
    port = stopped.port();
  }
  HttpClientOptions options = client_into(memory);
  options.proxies.http = HttpProxy{.host = "127.0.0.1", .port = port};
  BackgroundIo background;
  const std::string url = backend.url("/x");

  auto result = background.run(traced_get(url, options));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::StartsWith("GET " + url + ": connect to the proxy: "));
  CHECK(backend.request_count() == 0);
  auto spans = wait_for_spans(memory, 1);
  CHECK(string_attribute(only_span_of_kind(spans, SpanKind::client), "error.type") ==
        "connection_refused");
}
