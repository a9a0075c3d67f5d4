#include "protobuf_writer.hpp"

namespace tachi_trace::detail::protobuf {

bool Reader::next(std::uint32_t& field, WireType& type) noexcept {
  if (data_.empty() || failed_) return false;
  std::uint64_t tag = 0;
  if (!read_varint(tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) {
    failed_ = true;
    return false;
  }
  field = static_cast<std::uint32_t>(tag >> 3);
  type = static_cast<WireType>(tag & 7);
  return true;
}

bool Reader::read_varint(std::uint64_t& value) noexcept {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (data_.empty()) break;
    const auto byte = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  failed_ = true;
  return false;
}

bool Reader::read_delimited(std::string_view& value) noexcept {
  std::uint64_t length = 0;
  if (!read_varint(length) || length > data_.size()) {
    failed_ = true;
    return false;
  }
  value = data_.substr(0, length);
  data_.remove_prefix(length);
  return true;
}

bool Reader::skip(WireType type) noexcept {
  std::uint64_t ignored = 0;
  std::string_view ignored_text;
  std::size_t width = 0;
  switch (type) {
    case WireType::varint:
      return read_varint(ignored);
    case WireType::length_delimited:
      return read_delimited(ignored_text);
    case WireType::fixed64:
      width = 8;
      break;
    case WireType::fixed32:
      width = 4;
      break;
    default:
      failed_ = true;  // groups (3, 4) and unknown types
      return false;
  }
  if (data_.size() < width) {
    failed_ = true;
    return false;
  }
  data_.remove_prefix(width);
  return true;
}

}  // namespace tachi_trace::detail::protobuf
