#include "json_values.hpp"

#include <charconv>
#include <cmath>
#include <type_traits>

namespace tachi_trace::detail {

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
    append_json_string(out, element);
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
