#include "json_values.hpp"

#include <charconv>
#include <cmath>
#include <type_traits>

#include "../json_text.hpp"

namespace tachi_trace::detail {

namespace {

bool needs_care(unsigned char byte) {
  return byte < 0x20 || byte == '"' || byte == '\\' || byte >= 0x80;
}

void append_escaped(std::string& out, char character) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  switch (character) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default: {
      const auto byte = static_cast<unsigned char>(character);
      const char escape[] = {'\\', 'u', '0', '0', hex_digits[byte >> 4], hex_digits[byte & 0xF]};
      out.append(escape, sizeof escape);
    }
  }
}

}  // namespace

void append_json_literal(std::string& out, std::string_view text) {
  out += '"';
  while (!text.empty()) {
    std::size_t plain = 0;
    while (plain < text.size() && !needs_care(static_cast<unsigned char>(text[plain])))
      ++plain;
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    if (text.empty()) break;
    if (static_cast<unsigned char>(text[0]) < 0x80) {
      append_escaped(out, text[0]);
      text.remove_prefix(1);
      continue;
    }
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
      text.remove_prefix(1);
    } else {
      out.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  out += '"';
}

void append_unsigned(std::string& out, std::uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

void append_signed(std::string& out, std::int64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

void append_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char digits[32];
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
  }
}

namespace {

template <typename Element>
void append_element_json(std::string& out, const Element& element) {
  if constexpr (std::is_same_v<Element, std::string>) {
    append_json_literal(out, element);
  } else if constexpr (std::is_same_v<Element, bool>) {
    out += element ? "true" : "false";
  } else if constexpr (std::is_same_v<Element, std::int64_t>) {
    append_signed(out, element);
  } else {
    append_double(out, element);
  }
}

}  // namespace

void append_attribute_json(std::string& out, const AttributeValue& value) {
  std::visit(
      [&](const auto& alternative) {
        using Alternative = std::decay_t<decltype(alternative)>;
        if constexpr (requires { typename Alternative::value_type; } &&
                      !std::is_same_v<Alternative, std::string>) {
          out += '[';
          bool first = true;
          for (const auto& element : alternative) {
            if (!first) out += ',';
            first = false;
            append_element_json<typename Alternative::value_type>(out, element);
          }
          out += ']';
        } else {
          append_element_json(out, alternative);
        }
      },
      value.storage());
}

void append_attribute_text(std::string& out, const AttributeValue& value) {
  if (const auto* text = value.get_if<std::string>()) {
    out += *text;
  } else if (const auto* number = value.get_if<double>(); number && !std::isfinite(*number)) {
    out += std::isnan(*number) ? "NaN" : (*number > 0 ? "Infinity" : "-Infinity");
  } else {
    append_attribute_json(out, value);
  }
}

}  // namespace tachi_trace::detail
