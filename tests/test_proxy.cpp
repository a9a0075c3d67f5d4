// Proxy URLs, NO_PROXY rules, and the HTTPS_PROXY / HTTP_PROXY / NO_PROXY configuration.
#include <catch2/catch.hpp>

#include "tachi_trace/beast_client.hpp"
#include "tachi_trace/config.hpp"
#include "tachi_trace/proxy.hpp"

using namespace tachi_trace;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

HttpUrl url(std::string_view text) {
  auto parsed = parse_http_url(text);
  if (!parsed) FAIL(parsed.error().message);
  return *parsed;
}

HttpProxy proxy(std::string_view text) {
  auto parsed = parse_http_proxy(text);
  if (!parsed) FAIL(parsed.error().message);
  return *parsed;
}

std::string proxy_error(std::string_view text) {
  auto parsed = parse_http_proxy(text);
  if (parsed) FAIL("accepted " << text);
  CHECK(parsed.error().code == Error::Code::invalid_argument);
  return parsed.error().message;
}

FinalizedTracingConfig finalize(Pairs environment, const TracingConfig& code = {}) {
  auto config = finalize_config(code, Environment::from_pairs(std::move(environment)));
  if (!config) FAIL(config.error().message);
  return std::move(*config);
}

std::string authority_of(const std::optional<HttpProxy>& chosen) {
  return chosen ? chosen->authority() : "direct";
}

}  // namespace

TEST_CASE("a proxy URL gives host, port and percent-decoded credentials") {
  const HttpProxy full = proxy("http://user%40corp:p%3Ass@proxy.internal:3128");
  CHECK(full.host == "proxy.internal");
  CHECK(full.port == 3128);
  CHECK(full.username == "user@corp");
  CHECK(full.password == "p:ss");
  CHECK(full.authority() == "proxy.internal:3128");
  // base64("user@corp:p:ss")
  CHECK(full.authorization() == "Basic dXNlckBjb3JwOnA6c3M=");

  const HttpProxy plain = proxy("http://10.1.2.3/");
  CHECK(plain.host == "10.1.2.3");
  CHECK(plain.port == 80);
  CHECK(plain.authorization().empty());

  CHECK(proxy("proxy:8080") == HttpProxy{.host = "proxy", .port = 8080});
  CHECK(proxy("  HTTP://[::1]:3128  ") == HttpProxy{.host = "::1", .port = 3128});
  CHECK(proxy("http://[::1]:3128").authority() == "[::1]:3128");
  CHECK(proxy("http://alice@proxy").authorization() == "Basic YWxpY2U6");  // "alice:"
}

TEST_CASE("proxy URLs that cannot be used are refused with the reason, never the password") {
  CHECK_THAT(proxy_error("https://proxy:443"), Catch::Contains("https:// proxies"));
  CHECK_THAT(proxy_error("socks5://proxy:1080"), Catch::Contains("unsupported scheme \"socks5\""));
  CHECK_THAT(proxy_error("http://proxy:0"),
             Catch::Contains("the port must be a number from 1 to 65535"));
  CHECK_THAT(proxy_error("http://proxy:3128/path"), Catch::Contains("has no path"));
  CHECK_THAT(proxy_error("http://proxy:3128?x=1"), Catch::Contains("has no path"));
  CHECK_THAT(proxy_error("http://"), Catch::Contains("no host"));
  CHECK_THAT(proxy_error("http://:pw@proxy"), Catch::Contains("empty user name"));
  for (std::string_view host : {"pro xy", "proxy,other", "pr\roxy", "*", "pr%6Fxy", "прокси"}) {
    INFO(host);
    CHECK_THAT(proxy_error("http://" + std::string(host) + ":3128"),
               Catch::Contains("the host may have only letters, digits, '-', '.' and '_'"));
    CHECK_FALSE(parse_http_url("http://" + std::string(host) + "/v1/traces"));
  }

  const std::string escape = proxy_error("http://bob:s3cret%zz@proxy:3128");
  CHECK_THAT(escape, Catch::Contains("malformed percent escape"));
  CHECK_THAT(escape, Catch::Contains("\"http://bob:REDACTED@proxy:3128\""));
  CHECK_THAT(escape, !Catch::Contains("s3cret"));
  CHECK_THAT(proxy_error("https://bob:s3cret@proxy"), !Catch::Contains("s3cret"));
}

TEST_CASE("NO_PROXY names cover their subdomains, case-insensitively, whatever their prefix") {
  for (std::string_view entry : {"example.com", ".example.com", "*.example.com", "EXAMPLE.com."}) {
    INFO(entry);
    const NoProxyRules rules(entry);
    CHECK(rules.malformed().empty());
    CHECK(rules.exempts(url("http://example.com/")));
    CHECK(rules.exempts(url("https://api.Example.COM/v1")));
    CHECK(rules.exempts(url("http://a.b.example.com:8080/")));
    CHECK(rules.exempts(url("http://example.com./")));
    CHECK_FALSE(rules.exempts(url("http://badexample.com/")));
    CHECK_FALSE(rules.exempts(url("http://example.com.evil.net/")));
    CHECK_FALSE(rules.exempts(url("http://93.184.216.34/")));  // no lookups
  }
}

TEST_CASE("NO_PROXY addresses, blocks, ports and the wildcard") {
  const NoProxyRules rules(
      "localhost, 127.0.0.1 10.0.0.0/8,192.168.1.0/25 ::1,fd00::/8,"
      "collector:4318,[2001:db8::7]:443");
  CHECK(rules.malformed().empty());
  CHECK(rules.exempts(url("http://localhost:4318/")));
  CHECK(rules.exempts(url("http://127.0.0.1:9/")));
  CHECK_FALSE(rules.exempts(url("http://127.0.0.2/")));
  CHECK(rules.exempts(url("http://10.255.0.1/")));
  CHECK_FALSE(rules.exempts(url("http://11.0.0.1/")));
  CHECK(rules.exempts(url("http://192.168.1.127/")));
  CHECK_FALSE(rules.exempts(url("http://192.168.1.128/")));
  CHECK(rules.exempts(url("http://[::1]:80/")));
  CHECK(rules.exempts(url("http://[fdab::1]/")));
  CHECK_FALSE(rules.exempts(url("http://[fe00::1]/")));
  CHECK(rules.exempts(url("http://collector:4318/v1/traces")));
  CHECK_FALSE(rules.exempts(url("http://collector:4317/")));
  CHECK(rules.exempts(url("https://[2001:db8::7]/")));
  const NoProxyRules wildcard_port("*.corp.example:8443, .svc:80");
  CHECK(wildcard_port.malformed().empty());
  CHECK(wildcard_port.exempts(url("https://api.corp.example:8443/")));
  CHECK_FALSE(wildcard_port.exempts(url("https://api.corp.example/")));
  CHECK(wildcard_port.exempts(url("http://collector.svc/")));
  CHECK_FALSE(rules.exempts(url("http://[2001:db8::7]/")));  // port 80, not 443
  // An IPv4 block does not cover IPv6 addresses, even mapped ones written as such.
  CHECK_FALSE(NoProxyRules("0.0.0.0/0").exempts(url("http://[2001:db8::1]/")));
  CHECK(NoProxyRules("0.0.0.0/0").exempts(url("http://203.0.113.9/")));
  // A trailing dot changes nothing, in the entry or in the URL.
  CHECK(NoProxyRules("10.1.2.3.").exempts(url("http://10.1.2.3/")));
  CHECK(NoProxyRules("10.1.2.3").exempts(url("http://10.1.2.3./")));

  const NoProxyRules everything("*");
  CHECK(everything.exempts(url("https://anything.example/")));
  CHECK_FALSE(NoProxyRules("").exempts(url("http://localhost/")));
  CHECK(NoProxyRules("").empty());
}

TEST_CASE("NO_PROXY entries that cannot be read are kept aside and exempt nothing") {
  const NoProxyRules rules("10.0.0.0/40,host:99999,a/b,ok.example,fd00::/129,*x,[::1");
  CHECK(rules.malformed() ==
        std::vector<std::string>{"10.0.0.0/40", "host:99999", "a/b", "fd00::/129", "*x", "[::1"});
  CHECK(rules.exempts(url("http://ok.example/")));
  CHECK_FALSE(rules.exempts(url("http://10.0.0.1/")));
}

TEST_CASE("each scheme has its proxy, and NO_PROXY exempts hosts from both") {
  const ProxySettings settings{.http = proxy("http://plain:3128"),
                               .https = proxy("http://tunnel:3129"),
                               .no_proxy = NoProxyRules("internal")};
  CHECK(authority_of(settings.for_url(url("http://collector:4318/"))) == "plain:3128");
  CHECK(authority_of(settings.for_url(url("https://collector/"))) == "tunnel:3129");
  CHECK(authority_of(settings.for_url(url("https://db.internal/"))) == "direct");
  CHECK(authority_of(ProxySettings{.https = proxy("p:1")}.for_url(url("http://x/"))) == "direct");
}

TEST_CASE("the proxy variables choose each exporter's proxy by its endpoint") {
  auto config =
      finalize({{"HTTPS_PROXY", "http://u:pw@secure-proxy:3129"},
                {"HTTP_PROXY", "http://plain-proxy:3128"},
                {"NO_PROXY", "zipkin.internal"},
                {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318"},
                {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin.internal:9411/api/v2/spans"}});
  CHECK(config.diagnostics().empty());
  REQUIRE(config.otlp().proxy);
  CHECK(config.otlp().proxy->authority() == "secure-proxy:3129");
  CHECK(config.otlp().proxy->username == "u");
  CHECK(config.otlp().proxy->password == "pw");
  CHECK_FALSE(config.zipkin().proxy);                                // NO_PROXY
  CHECK(authority_of(config.jaeger().proxy) == "plain-proxy:3128");  // http://localhost:14268
  CHECK(authority_of(config.proxies().http) == "plain-proxy:3128");
  CHECK(config.proxies().no_proxy.exempts(url("http://a.zipkin.internal/")));

  CHECK_FALSE(finalize({}).otlp().proxy);

  const HttpClientOptions client = http_client_options(config);
  CHECK(authority_of(client.proxies.https) == "secure-proxy:3129");
  CHECK(authority_of(client.proxies.for_url(url("http://zipkin.internal/"))) == "direct");
}

TEST_CASE("lower-case proxy variables win; HTTP_PROXY is not read in a CGI program") {
  auto both = finalize({{"HTTP_PROXY", "http://upper:1"},
                        {"http_proxy", "http://lower:2"},
                        {"NO_PROXY", "localhost"},
                        {"no_proxy", "other"}});
  CHECK(authority_of(both.otlp().proxy) == "lower:2");  // localhost is not exempt: no_proxy won

  auto cgi =
      finalize({{"HTTP_PROXY", "http://from-a-request-header:1"}, {"REQUEST_METHOD", "GET"}});
  CHECK_FALSE(cgi.otlp().proxy);
  auto cgi_lower = finalize({{"http_proxy", "http://admin-set:2"}, {"REQUEST_METHOD", "GET"}});
  CHECK(authority_of(cgi_lower.otlp().proxy) == "admin-set:2");
}

TEST_CASE("bad proxy variables are warnings naming the variable and the fallback") {
  auto config = finalize({{"https_proxy", "socks5://user:hunter2@proxy:1080"},
                          {"HTTP_PROXY", "http://proxy:99999"},
                          {"NO_PROXY", "localhost,10.0.0.0/33"}});
  REQUIRE(config.diagnostics().size() == 3);
  const auto& https = config.diagnostics()[0];
  CHECK(https.variable == "https_proxy");
  CHECK_THAT(https.message, Catch::StartsWith("https_proxy: expected an http:// proxy URL"));
  CHECK_THAT(https.message, Catch::Contains("unsupported scheme"));
  CHECK_THAT(https.message, Catch::EndsWith("; using no proxy"));
  CHECK_THAT(https.message, !Catch::Contains("hunter2"));
  CHECK(config.diagnostics()[1].variable == "HTTP_PROXY");
  CHECK_THAT(config.diagnostics()[1].message, Catch::Contains("from 1 to 65535"));
  CHECK(config.diagnostics()[2].message ==
        "NO_PROXY has an entry \"10.0.0.0/33\" that is not a host name, address, CIDR block or "
        "host:port; it is ignored");
  CHECK_FALSE(config.proxies().https);
  CHECK_FALSE(config.proxies().http);
  CHECK(config.proxies().no_proxy.exempts(url("http://localhost/")));
}

TEST_CASE("proxies set in code: the environment overrides them unless told not to") {
  TracingConfig code;
  code.https_proxy = std::string("http://code-proxy:3128");
  code.no_proxy = std::string("collector.internal");
  auto overridden = finalize({{"HTTPS_PROXY", "http://env-proxy:1"}}, code);
  CHECK(authority_of(overridden.proxies().https) == "env-proxy:1");

  auto bad_environment = finalize({{"HTTPS_PROXY", "ftp://x"}}, code);
  REQUIRE(bad_environment.diagnostics().size() == 1);
  CHECK_THAT(bad_environment.diagnostics()[0].message,
             Catch::EndsWith("; using the proxy code-proxy:3128 set in code"));
  CHECK(authority_of(bad_environment.proxies().https) == "code-proxy:3128");

  code.https_proxy = overriding_environment(std::string());  // "" in code: no proxy at all
  code.no_proxy = overriding_environment(std::string("collector.internal"));
  auto direct = finalize({{"HTTPS_PROXY", "http://env-proxy:1"}, {"NO_PROXY", "*"}}, code);
  CHECK_FALSE(direct.proxies().https);
  CHECK_FALSE(direct.proxies().no_proxy.exempts(url("http://elsewhere/")));
  CHECK(direct.proxies().no_proxy.exempts(url("http://collector.internal/")));
}

TEST_CASE("proxy settings given in code are checked") {
  TracingConfig bad_url;
  bad_url.http_proxy = std::string("https://a:secret@proxy");
  auto refused = finalize_config(bad_url, Environment::from_pairs({}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Error::Code::invalid_configuration);
  CHECK_THAT(refused.error().message, Catch::StartsWith("HTTP_PROXY (set in code): expected"));
  CHECK_THAT(refused.error().message, !Catch::Contains("secret"));

  TracingConfig bad_list;
  bad_list.no_proxy = std::string("ok,1.2.3.4/99");
  auto list_refused = finalize_config(bad_list, Environment::from_pairs({}));
  REQUIRE_FALSE(list_refused);
  CHECK(list_refused.error().message ==
        "NO_PROXY (set in code) has an entry \"1.2.3.4/99\" that is not a host name, address, "
        "CIDR block or host:port");
}
