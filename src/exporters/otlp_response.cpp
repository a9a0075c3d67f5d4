// Reading what an OTLP/HTTP server answers: ExportTraceServiceResponse on success (its
// partial_success says how many spans were rejected, and why), google.rpc.Status on failure.
#include <nlohmann/json.hpp>

#include "otlp_encoders.hpp"
#include "protobuf_writer.hpp"

namespace tachi_trace::detail {

namespace {

// ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
std::optional<PartialSuccess> read_partial_success(std::string_view body) {
  PartialSuccess partial;
  protobuf::Reader reader(body);
  std::uint32_t field = 0;
  protobuf::WireType type{};
  while (reader.next(field, type)) {
    if (field == 1 && type == protobuf::WireType::varint) {
      std::uint64_t value = 0;
      if (!reader.read_varint(value)) break;
      partial.rejected_spans = static_cast<std::int64_t>(value);
    } else if (field == 2 && type == protobuf::WireType::length_delimited) {
      std::string_view message;
      if (!reader.read_delimited(message)) break;
      partial.error_message = std::string(message);
    } else if (!reader.skip(type)) {
      break;
    }
  }
  if (reader.failed()) return std::nullopt;
  return partial;
}

std::optional<PartialSuccess> read_protobuf_response(std::string_view body) {
  // ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  PartialSuccess partial;
  protobuf::Reader reader(body);
  std::uint32_t field = 0;
  protobuf::WireType type{};
  while (reader.next(field, type)) {
    if (field == 1 && type == protobuf::WireType::length_delimited) {
      std::string_view nested;
      if (!reader.read_delimited(nested)) break;
      auto read = read_partial_success(nested);
      if (!read) return std::nullopt;
      partial = std::move(*read);
    } else if (!reader.skip(type)) {
      break;
    }
  }
  if (reader.failed()) return std::nullopt;
  return partial;
}

// Protobuf JSON accepts 64-bit integers as numbers or as decimal strings.
std::optional<std::int64_t> json_integer(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    try {
      std::size_t used = 0;
      const std::string text = value.get<std::string>();
      const long long parsed = std::stoll(text, &used);
      if (used == text.size()) return parsed;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

std::optional<PartialSuccess> read_json_response(std::string_view body) {
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return std::nullopt;
  PartialSuccess partial;
  auto found = document.find("partialSuccess");
  if (found == document.end() || found->is_null()) return partial;
  if (!found->is_object()) return std::nullopt;
  if (auto rejected = found->find("rejectedSpans"); rejected != found->end()) {
    auto count = json_integer(*rejected);
    if (!count) return std::nullopt;
    partial.rejected_spans = *count;
  }
  if (auto message = found->find("errorMessage"); message != found->end() && message->is_string())
    partial.error_message = message->get<std::string>();
  return partial;
}

}  // namespace

std::optional<PartialSuccess> read_export_response(std::string_view body, bool json) {
  if (body.empty()) return PartialSuccess{};
  return json ? read_json_response(body) : read_protobuf_response(body);
}

std::string read_status_message(std::string_view body, bool json) {
  if (body.empty()) return {};
  if (json) {
    auto document = nlohmann::json::parse(body, nullptr, false);
    if (!document.is_object()) return {};
    auto message = document.find("message");
    return message != document.end() && message->is_string() ? message->get<std::string>() : "";
  }
  // google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  protobuf::Reader reader(body);
  std::uint32_t field = 0;
  protobuf::WireType type{};
  std::string message;
  while (reader.next(field, type)) {
    if (field == 2 && type == protobuf::WireType::length_delimited) {
      std::string_view text;
      if (!reader.read_delimited(text)) break;
      message = std::string(text);
    } else if (!reader.skip(type)) {
      break;
    }
  }
  return reader.failed() ? std::string() : message;
}

}  // namespace tachi_trace::detail
