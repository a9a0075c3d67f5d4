// The library's name and version, as reported in telemetry.sdk.* and the exporters' User-Agent.
#pragma once

#include <string_view>

namespace tachi_trace {

inline constexpr std::string_view library_name = "tachi_trace";
inline constexpr std::string_view library_version = "0.1.0";

}  // namespace tachi_trace
