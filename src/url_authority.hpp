// The host and port of a URL's authority, shared by URL and proxy parsing. Private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tachi_trace::detail {

/// Reads a port number, 1 to 65535.
bool parse_port(std::string_view text, std::uint16_t& port);

/// Reads `host[:port]` or `[v6]:port` into `host` (without brackets) and, when a port is given,
/// `port`. Returns why it is malformed, or nullptr.
const char* parse_host_and_port(std::string_view authority, std::string& host, std::uint16_t& port);

}  // namespace tachi_trace::detail
