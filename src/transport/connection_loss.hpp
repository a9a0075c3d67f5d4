// Whether an I/O error means the connection broke or the peer closed it, rather than anything the
// peer answered: the exporters' transport retries on it, the traced HTTP client reports it as
// `connection_reset`. Private.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

namespace tachi_trace::detail {

inline bool is_connection_loss(const boost::system::error_code& error) noexcept {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  return error == net::error::eof || error == net::error::connection_reset ||
         error == net::error::connection_aborted || error == net::error::broken_pipe ||
         error == net::error::not_connected || error == http::error::end_of_stream ||
         error == http::error::partial_message ||
         error == net::ssl::error::stream_truncated;  // closed without a TLS close_notify
}

}  // namespace tachi_trace::detail
