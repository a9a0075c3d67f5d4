// HTTP Basic credentials, for Authorization and Proxy-Authorization. Private.
#pragma once

#include <string>
#include <string_view>

namespace tachi_trace::detail {

/// RFC 4648 base64 with padding.
std::string base64(std::string_view bytes);

/// "Basic " and the base64 of "user:password" (RFC 7617).
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace tachi_trace::detail
