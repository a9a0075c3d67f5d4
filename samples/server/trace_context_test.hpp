// POST /test: the protocol of the W3C Trace Context test suite (github.com/w3c/trace-context,
// test/). The harness POSTs a JSON array of `{"url": ..., "arguments": ...}`; for each element, in
// order, the service POSTs `arguments` as JSON to `url` with its current context injected (each
// call in a CLIENT span of its own, child of the request's SERVER span), then answers 200 with
// what each call returned.
//
// Bounds, since the route makes the server call URLs it is given: a body of at most 64 KiB, at
// most 32 calls, http:// URLs of at most 2048 bytes only (no https, no other schemes), arguments
// nested at most 64 levels. Anything else is refused whole with 400 (413 for the body size)
// before any call is made.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/error.hpp"

namespace tachi_sample {

inline constexpr std::size_t max_test_body_size = 64 * 1024;
inline constexpr std::size_t max_test_calls = 32;
inline constexpr std::size_t max_test_url_size = 2048;

struct TestCall {
  std::string url;
  std::string arguments;  // JSON text, the body to POST ("[]" when the element had none)
};

/// The calls a /test body asks for, or why it is refused (invalid_argument).
tachi_trace::Expected<std::vector<TestCall>> parse_test_calls(std::string_view body);

}  // namespace tachi_sample
