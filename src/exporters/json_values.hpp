// Appending JSON values to a body being built, for the JSON encoders (OTLP JSON, Zipkin).
// Private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tachi_trace/attributes.hpp"
#include "tachi_trace/ids.hpp"

namespace tachi_trace::detail {

/// Appends `text` as a JSON string literal: quoted, escaped, invalid UTF-8 replaced by U+FFFD.
/// Runs of characters that need no escaping are appended whole.
void append_json_literal(std::string& out, std::string_view text);

void append_unsigned(std::string& out, std::uint64_t value);
void append_signed(std::string& out, std::int64_t value);
/// A JSON number in shortest round-trip form; NaN and the infinities, which JSON numbers cannot
/// express, as the strings "NaN", "Infinity" and "-Infinity" (the protobuf JSON mapping's form).
void append_double(std::string& out, double value);

/// The id as a quoted lowercase hex string.
template <std::size_t Size, typename Tag>
void append_hex_id(std::string& out, const BasicId<Size, Tag>& id) {
  char hex[2 * Size + 2];
  hex[0] = '"';
  id.write_hex(hex + 1);
  hex[2 * Size + 1] = '"';
  out.append(hex, sizeof hex);
}

/// The value as a JSON value of its own type: "text", 42, 1.5, true, [1,2].
void append_attribute_json(std::string& out, const AttributeValue& value);

/// The value as the plain text of a string tag: text as is, numbers and booleans as JSON writes
/// them, arrays as a JSON list (what the Zipkin and Jaeger mappings ask for).
void append_attribute_text(std::string& out, const AttributeValue& value);

}  // namespace tachi_trace::detail
