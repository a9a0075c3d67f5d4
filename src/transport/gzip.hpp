// gzip compression of request bodies, with zlib. Private.
#pragma once

#include <string>
#include <string_view>

#include "tachi_trace/error.hpp"

struct z_stream_s;

namespace tachi_trace::detail {

/// Compresses into gzip format (RFC 1952). Keeps zlib's state between calls, so compressing one
/// body after another allocates nothing once the output buffer has grown.
class GzipCompressor {
 public:
  GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;
  ~GzipCompressor();

  /// Replaces `output` with the compressed form of `input`; false (and a reason) on failure.
  bool compress(std::string_view input, std::string& output, std::string& reason);

 private:
  z_stream_s* stream_ = nullptr;
};

}  // namespace tachi_trace::detail
