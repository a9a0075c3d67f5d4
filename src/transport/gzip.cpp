#include "gzip.hpp"

#include <zlib.h>

#include <limits>

namespace tachi_trace::detail {

namespace {
// zlib's fastest level: bodies are large and repetitive (attribute keys, ids), so even level 1
// shrinks them several times over, at a fraction of the default level's cost.
constexpr int compression_level = Z_BEST_SPEED;
constexpr int gzip_window_bits = 15 + 16;  // 16 selects the gzip wrapper
constexpr int memory_level = 8;
}  // namespace

GzipCompressor::GzipCompressor() : stream_(new z_stream{}) {
  if (deflateInit2(stream_, compression_level, Z_DEFLATED, gzip_window_bits, memory_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    delete stream_;
    stream_ = nullptr;
  }
}

GzipCompressor::~GzipCompressor() {
  if (stream_ == nullptr) return;
  deflateEnd(stream_);
  delete stream_;
}

bool GzipCompressor::compress(std::string_view input, std::string& output, std::string& reason) {
  if (stream_ == nullptr) {
    reason = "zlib could not be initialised";
    return false;
  }
  if (input.size() > std::numeric_limits<uInt>::max()) {
    reason = "the body is too large for gzip";
    return false;
  }
  deflateReset(stream_);
  output.resize(deflateBound(stream_, static_cast<uLong>(input.size())));
  stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream_->avail_in = static_cast<uInt>(input.size());
  stream_->next_out = reinterpret_cast<Bytef*>(output.data());
  stream_->avail_out = static_cast<uInt>(output.size());
  const int status = deflate(stream_, Z_FINISH);
  if (status != Z_STREAM_END) {
    reason = "gzip compression failed (zlib status " + std::to_string(status) + ")";
    return false;
  }
  output.resize(stream_->total_out);
  return true;
}

}  // namespace tachi_trace::detail
