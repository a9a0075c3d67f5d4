#include "basic_authorization.hpp"

#include <algorithm>
#include <cstdint>

namespace tachi_trace::detail {

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    const std::size_t count = std::min<std::size_t>(3, bytes.size() - at);
    std::uint32_t group = 0;
    for (std::size_t index = 0; index < 3; ++index) {
      const auto byte = index < count ? static_cast<unsigned char>(bytes[at + index]) : 0u;
      group = (group << 8) | byte;
    }
    for (std::size_t index = 0; index < 4; ++index) {
      const bool present = index <= count;
      encoded += present ? alphabet[(group >> (18 - 6 * index)) & 0x3f] : '=';
    }
  }
  return encoded;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string credentials(user);
  credentials += ':';
  credentials += password;
  return "Basic " + base64(credentials);
}

}  // namespace tachi_trace::detail
