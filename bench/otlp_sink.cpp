// tachi-otlp-sink: an OTLP/HTTP receiver for benchmarks. It listens on 127.0.0.1 only, accepts
// POST /v1/traces (binary protobuf, as the otlp exporter sends by default), counts the requests
// and the spans in them, and answers 200 with an empty ExportTraceServiceResponse.
//
//   tachi-otlp-sink [PORT]        # 0 or nothing: a free port; prints "listening on URL"
//   curl http://127.0.0.1:PORT/stats  ->  {"requests":12,"spans":6144,"bytes":1048576,"bad":0}
//
// Spans are counted by walking the protobuf (ExportTraceServiceRequest field 1 ResourceSpans >
// field 2 ScopeSpans > field 2 Span) without decoding them; a body that is not such a message is
// answered 400 and counted as bad. It stops on SIGINT or SIGTERM.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "tachi_trace/beast_server.hpp"

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct Totals {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> spans{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> bad{0};
};

/// Reads a base-128 varint at `position`; nullopt when the input ends inside it.
std::optional<std::uint64_t> read_varint(std::string_view data, std::size_t& position) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64 && position < data.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(data[position++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

/// Calls `visit(field, payload)` for each length-delimited field of the message in `data`, and
/// skips the others; false when `data` is not a well-formed message.
template <typename Visit>
bool for_each_field(std::string_view data, Visit visit) {
  std::size_t position = 0;
  while (position < data.size()) {
    const auto tag = read_varint(data, position);
    if (!tag) return false;
    const auto wire_type = *tag & 7;
    std::optional<std::uint64_t> length;
    if (wire_type == 0) {
      if (!read_varint(data, position)) return false;
      continue;
    }
    if (wire_type == 1 || wire_type == 5) length = wire_type == 1 ? 8 : 4;
    if (wire_type == 2) length = read_varint(data, position);
    if (!length || *length > data.size() - position) return false;
    if (wire_type == 2 && !visit(*tag >> 3, data.substr(position, *length))) return false;
    position += *length;
  }
  return true;
}

/// The number of spans in an ExportTraceServiceRequest; nullopt when the body is not one.
std::optional<std::uint64_t> count_spans(std::string_view body) {
  std::uint64_t spans = 0;
  auto in_scope = [&spans](std::uint64_t field, std::string_view) {
    spans += field == 2;
    return true;
  };
  auto in_resource = [&](std::uint64_t field, std::string_view scope) {
    return field != 2 || for_each_field(scope, in_scope);
  };
  auto in_request = [&](std::uint64_t field, std::string_view resource) {
    return field != 1 || for_each_field(resource, in_resource);
  };
  if (!for_each_field(body, in_request)) return std::nullopt;
  return spans;
}

Response answer(const Request& request, http::status status, std::string content_type,
                std::string body) {
  Response response(status, request.version());
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  return response;
}

Response receive(const Request& request, Totals& totals) {
  if (request.method() == http::verb::get && request.target() == "/stats")
    return answer(request, http::status::ok, "application/json",
                  "{\"requests\":" + std::to_string(totals.requests.load()) +
                      ",\"spans\":" + std::to_string(totals.spans.load()) +
                      ",\"bytes\":" + std::to_string(totals.bytes.load()) +
                      ",\"bad\":" + std::to_string(totals.bad.load()) + "}\n");
  if (request.method() != http::verb::post || request.target() != "/v1/traces")
    return answer(request, http::status::not_found, "text/plain",
                  "POST /v1/traces or GET /stats\n");
  const auto spans = count_spans(request.body());
  if (!spans) {
    ++totals.bad;
    return answer(request, http::status::bad_request, "text/plain", "not an OTLP request\n");
  }
  ++totals.requests;
  totals.spans += *spans;
  totals.bytes += request.body().size();
  return answer(request, http::status::ok, "application/x-protobuf", "");
}

std::optional<unsigned short> read_port(int argc, char** argv) {
  if (argc < 2) return 0;
  try {
    const int port = std::stoi(argv[1]);
    if (port >= 0 && port <= 65535) return static_cast<unsigned short>(port);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = read_port(argc, argv);
  if (!port) {
    std::cerr << "usage: tachi-otlp-sink [PORT]   (0 or nothing: a free port)\n";
    return 2;
  }
  Totals totals;
  net::io_context io(1);
  tachi_trace::HttpServerOptions options;
  options.session.body_limit = std::uint64_t{64} << 20;
  auto handler = [&totals](Request request) -> net::awaitable<Response> {
    co_return receive(request, totals);
  };
  auto server = tachi_trace::HttpServer::listen(io, {net::ip::make_address_v4("127.0.0.1"), *port},
                                                handler, options);
  if (!server) {
    std::cerr << "error: " << server.error().message << "\n";
    return 1;
  }
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](const boost::system::error_code&, int) {
    server->stop(std::chrono::milliseconds(0));
  });
  std::cout << "listening on http://127.0.0.1:" << server->local_endpoint().port() << std::endl;
  io.run();
  std::cerr << "received " << totals.requests << " requests, " << totals.spans << " spans\n";
  return 0;
}
