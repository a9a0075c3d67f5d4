// One trace across three hops over real HTTP on 127.0.0.1: the test's CLIENT span, server A's
// SERVER span, the CLIENT span of A's handler calling B, and server B's SERVER span.
#include <catch2/catch.hpp>
#include <string>

#include "support/beast_support.hpp"

using namespace tachi_trace;
using namespace tachi_trace::testing;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

const SpanData& only_span_where(const std::vector<StoredSpan>& spans, SpanKind kind,
                                std::string_view url_path) {
  const SpanData* found = nullptr;
  for (const auto& span : spans) {
    if (span.data.kind != kind) continue;
    const bool matches = kind == SpanKind::server
                             ? string_attribute(span.data, "url.path") == url_path
                             : string_attribute(span.data, "url.full").ends_with(url_path);
    if (!matches) continue;
    if (found != nullptr) throw std::runtime_error("two spans for " + std::string(url_path));
    found = &span.data;
  }
  if (found == nullptr) throw std::runtime_error("no span for " + std::string(url_path));
  return *found;
}

}  // namespace

TEST_CASE("one trace across three hops: client, server A, A's client call, server B") {
  MemoryProvider memory(roomy_settings());
  BackgroundIo background(4);

  // Server B answers with the trace id its handler sees.
  auto handler_b = [](StringRequest request,
                      HttpServerSpan& span) -> net::awaitable<StringResponse> {
    span.set_route("/b/specs/{id}");
    StringResponse response(http::status::ok, request.version());
    response.body() = "B saw " + current_trace_id().to_hex();
    co_return response;
  };
  auto server_b =
      listen_on_loopback(background.io, traced_http_handler(handler_b, tracing_into(memory)));
  const std::string url_b = url_of(server_b.local_endpoint(), "/b/specs/7");

  // Server A calls B from its handler and passes B's answer on.
  const HttpClientOptions client_options = client_into(memory);
  auto handler_a = [url_b, client_options](StringRequest request,
                                           HttpServerSpan& span) -> net::awaitable<StringResponse> {
    span.set_route("/a/specs/{id}");
    auto call = traced_http_get(url_b, client_options);
    auto from_b = co_await std::move(call);
    StringResponse response(http::status::ok, request.version());
    response.body() = "A saw " + current_trace_id().to_hex() + "; " +
                      (from_b ? from_b->body() : from_b.error().message);
    co_return response;
  };
  auto server_a =
      listen_on_loopback(background.io, traced_http_handler(handler_a, tracing_into(memory)));
  const std::string url_a = url_of(server_a.local_endpoint(), "/a/specs/7");

  auto first_call = traced_http_get(url_a, client_options);
  auto result = background.run(std::move(first_call));
  REQUIRE(result);
  REQUIRE(result->result() == http::status::ok);

  auto spans = wait_for_spans(memory, 4);
  REQUIRE(spans.size() == 4);
  const SpanData& test_client = only_span_where(spans, SpanKind::client, "/a/specs/7");
  const SpanData& server_a_span = only_span_where(spans, SpanKind::server, "/a/specs/7");
  const SpanData& a_client = only_span_where(spans, SpanKind::client, "/b/specs/7");
  const SpanData& server_b_span = only_span_where(spans, SpanKind::server, "/b/specs/7");

  const TraceId trace = test_client.context.trace_id;
  CHECK_FALSE(test_client.has_parent());
  CHECK(server_a_span.context.trace_id == trace);
  CHECK(a_client.context.trace_id == trace);
  CHECK(server_b_span.context.trace_id == trace);

  CHECK(server_a_span.parent_span_id == test_client.context.span_id);
  CHECK(server_a_span.parent_is_remote);
  CHECK(a_client.parent_span_id == server_a_span.context.span_id);
  CHECK_FALSE(a_client.parent_is_remote);
  CHECK(server_b_span.parent_span_id == a_client.context.span_id);
  CHECK(server_b_span.parent_is_remote);

  CHECK(server_a_span.name == "GET /a/specs/{id}");
  CHECK(a_client.name == "GET");
  CHECK(server_b_span.name == "GET /b/specs/{id}");
  CHECK(result->body() == "A saw " + trace.to_hex() + "; B saw " + trace.to_hex());
  for (const auto& span : spans)
    CHECK(span.data.status.code == StatusCode::unset);
}
