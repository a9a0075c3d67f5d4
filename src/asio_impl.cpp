// Asio, Beast and Asio's SSL support compiled once, here, for the library and everything that
// links it (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are public
// definitions of the tachi_trace target), so no other translation unit pays for their templates.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
