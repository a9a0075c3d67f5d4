// Strands for connections: a Beast stream's timeouts race with its operations unless both run on
// one strand (its timer handler closes the socket and flags the timeout on one thread while the
// cancelled operation may complete on another).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace tachi_trace::beast_support {

/// A new strand on `executor`, on the io_context itself when the executor is one (one type
/// erasure fewer on every operation).
inline boost::asio::any_io_executor make_connection_strand(
    const boost::asio::any_io_executor& executor) {
  if (const auto* io_executor = executor.target<boost::asio::io_context::executor_type>())
    return boost::asio::make_strand(*io_executor);
  return boost::asio::make_strand(executor);
}

}  // namespace tachi_trace::beast_support
