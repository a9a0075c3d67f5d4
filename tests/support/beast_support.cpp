// The Beast test helpers' coroutines, compiled once for every test program.
#include "support/beast_support.hpp"

namespace tachi_trace::testing {

boost::asio::awaitable<RawReply> raw_exchange(boost::asio::ip::tcp::endpoint server,
                                              std::string bytes) {
  using namespace beast_test;
  boost::beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(std::chrono::seconds(5));
  co_await stream.async_connect(server, net::use_awaitable);
  co_await net::async_write(stream, net::buffer(bytes), net::use_awaitable);
  RawReply reply;
  char chunk[4096];
  for (;;) {
    auto [error, size] =
        co_await stream.async_read_some(net::buffer(chunk), net::as_tuple(net::use_awaitable));
    reply.bytes.append(chunk, size);
    if (error) {
      reply.closed = error != boost::beast::error::timeout;
      break;
    }
  }
  co_return reply;
}

RawReply send_raw(boost::asio::ip::tcp::endpoint server, std::string bytes) {
  return run_here(raw_exchange(server, std::move(bytes)));
}

boost::asio::awaitable<Exchanged> request_exchange(boost::asio::ip::tcp::endpoint server,
                                                   std::vector<StringRequest> requests) {
  using namespace beast_test;
  boost::beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(std::chrono::seconds(5));
  co_await stream.async_connect(server, net::use_awaitable);
  Exchanged exchanged;
  exchanged.local_port = stream.socket().local_endpoint().port();
  boost::beast::flat_buffer buffer;
  for (auto& request : requests) {
    request.prepare_payload();
    co_await http::async_write(stream, request, net::use_awaitable);
    http::response_parser<http::string_body> parser;
    if (request.method() == http::verb::head) parser.skip(true);
    co_await http::async_read(stream, buffer, parser, net::use_awaitable);
    exchanged.responses.push_back(parser.release());
  }
  co_return exchanged;
}

Exchanged send_requests(boost::asio::ip::tcp::endpoint server,
                        std::vector<StringRequest> requests) {
  return run_here(request_exchange(server, std::move(requests)));
}

StringResponse send_request(boost::asio::ip::tcp::endpoint server, StringRequest request,
                            std::uint16_t* local_port) {
  std::vector<StringRequest> requests;
  requests.push_back(std::move(request));
  auto exchanged = send_requests(server, std::move(requests));
  if (local_port != nullptr) *local_port = exchanged.local_port;
  return std::move(exchanged.responses.at(0));
}

boost::asio::awaitable<Expected<StringResponse>> traced_get(std::string url,
                                                            HttpClientOptions options) {
  auto call = traced_http_get(std::move(url), std::move(options));
  auto result = co_await std::move(call);
  co_return result;
}

boost::asio::awaitable<int> get_through_one_client(std::vector<std::string> urls,
                                                   HttpClientOptions options,
                                                   std::chrono::milliseconds pause) {
  HttpClient client(co_await boost::asio::this_coro::executor, std::move(options));
  int succeeded = 0;
  for (std::size_t index = 0; index < urls.size(); ++index) {
    if (index > 0 && pause.count() > 0) co_await sleep_for(pause);
    auto call = client.get(urls[index]);
    auto result = co_await std::move(call);
    if (result && result->result() == boost::beast::http::status::ok) ++succeeded;
  }
  co_return succeeded;
}

boost::asio::awaitable<void> accept_and_hold(
    std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor) {
  auto socket = co_await acceptor->async_accept(boost::asio::use_awaitable);
  co_await sleep_for(std::chrono::hours(1));
}

}  // namespace tachi_trace::testing
