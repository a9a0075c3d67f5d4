// W3C Baggage: the `baggage` header codec and its propagator.
#include <array>

#include "tachi_trace/propagation.hpp"
#include "text.hpp"

namespace tachi_trace {

namespace {

using propagation::for_each_list_item;
using propagation::is_token;
using propagation::trim_optional_white_space;

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: printable ASCII but for '"', ',',
// ';' and '\'.
bool is_baggage_octet(unsigned char byte) {
  return byte >= 0x21 && byte <= 0x7e && byte != '"' && byte != ',' && byte != ';' && byte != '\\';
}

bool is_baggage_value(std::string_view value) {
  for (char character : value)
    if (!is_baggage_octet(static_cast<unsigned char>(character))) return false;
  return true;
}

// What the grammar lets through unescaped; '%' is a baggage-octet but must itself be escaped.
bool written_as_is(unsigned char byte) {
  return is_baggage_octet(byte) && byte != '%';
}

struct KeyAndValue {
  std::string_view key;
  std::optional<std::string_view> value;
};

// `key OWS "=" OWS value` or, when `value_required` is false, also `key OWS`.
std::optional<KeyAndValue> split_key_value(std::string_view text, bool value_required) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    if (value_required || !is_token(text)) return std::nullopt;
    return KeyAndValue{text, std::nullopt};
  }
  const std::string_view key = trim_optional_white_space(text.substr(0, equals));
  const std::string_view value = trim_optional_white_space(text.substr(equals + 1));
  if (!is_token(key) || !is_baggage_value(value)) return std::nullopt;
  return KeyAndValue{key, value};
}

// The properties after a member's first ';', normalised to `p1;k=v` (values kept encoded).
std::optional<std::string> read_metadata(std::string_view properties) {
  std::string metadata;
  bool valid = true;
  for_each_list_item(properties, ';', [&](std::string_view property) {
    const auto parts = split_key_value(property, false);
    if (!parts) {
      valid = false;
      return;
    }
    if (!metadata.empty()) metadata += ';';
    metadata.append(parts->key);
    if (parts->value) metadata.append("=").append(*parts->value);
  });
  if (!valid) return std::nullopt;
  return metadata;
}

// One list member: `key OWS "=" OWS value *( OWS ";" OWS property )`.
std::optional<Baggage::Entry> read_member(std::string_view member) {
  const auto semicolon = member.find(';');
  const auto parts = split_key_value(trim_optional_white_space(member.substr(0, semicolon)), true);
  if (!parts) return std::nullopt;
  Baggage::Entry entry{
      std::string(parts->key), propagation::percent_decode(*parts->value, true), {}};
  if (semicolon == std::string_view::npos) return entry;
  auto metadata = read_metadata(member.substr(semicolon + 1));
  if (!metadata) return std::nullopt;
  entry.metadata = std::move(*metadata);
  return entry;
}

/// Counts what a baggage-string holds against the W3C limits, as members are added in order.
class BaggageBudget {
 public:
  /// True when a member of `length` bytes still fits, and then counts it.
  bool admit(std::size_t length) {
    const std::size_t with_separator = members_ == 0 ? length : length + 1;
    if (members_ == header_limits::baggage_members ||
        bytes_ + with_separator > header_limits::baggage_bytes)
      return false;
    ++members_;
    bytes_ += with_separator;
    return true;
  }

 private:
  std::size_t members_ = 0;
  std::size_t bytes_ = 0;
};

std::string format_member(const Baggage::Entry& entry) {
  std::string member = entry.key;
  member += '=';
  propagation::append_percent_encoded(member, entry.value, written_as_is);
  if (!entry.metadata.empty()) member.append(";").append(entry.metadata);
  return member;
}

bool can_be_written(const Baggage::Entry& entry) {
  return is_token(entry.key) &&
         (entry.metadata.empty() || parse_baggage_properties(entry.metadata).has_value());
}

}  // namespace

ParsedBaggage parse_baggage(std::string_view header) {
  ParsedBaggage parsed;
  std::vector<Baggage::Entry> entries;
  BaggageBudget budget;
  for_each_list_item(header, ',', [&](std::string_view member) {
    if (member.empty()) return;  // between two commas, or from an empty field: nothing to read
    auto entry = read_member(member);
    if (!entry)
      ++parsed.malformed_members;
    else if (!budget.admit(member.size()))
      ++parsed.members_over_limit;
    else
      entries.push_back(std::move(*entry));
  });
  parsed.baggage = Baggage::from_entries(std::move(entries));
  return parsed;
}

std::string format_baggage(const Baggage& baggage) {
  std::string header;
  BaggageBudget budget;
  for (const auto& entry : baggage.entries()) {
    if (!can_be_written(entry)) continue;
    const std::string member = format_member(entry);
    if (!budget.admit(member.size())) continue;
    if (!header.empty()) header += ',';
    header += member;
  }
  return header;
}

std::optional<std::vector<BaggageProperty>> parse_baggage_properties(std::string_view metadata) {
  std::vector<BaggageProperty> properties;
  if (trim_optional_white_space(metadata).empty()) return properties;
  bool valid = true;
  for_each_list_item(metadata, ';', [&](std::string_view property) {
    const auto parts = split_key_value(property, false);
    if (!parts) {
      valid = false;
      return;
    }
    std::optional<std::string> value;
    if (parts->value) value = propagation::percent_decode(*parts->value, true);
    properties.push_back({std::string(parts->key), std::move(value)});
  });
  if (!valid) return std::nullopt;
  return properties;
}

namespace {

constexpr std::string_view baggage_field = "baggage";
constexpr std::array<std::string_view, 1> baggage_fields = {baggage_field};

class BaggagePropagator final : public TextMapPropagator {
 public:
  std::span<const std::string_view> fields() const noexcept override { return baggage_fields; }

 private:
  // The header is the caller's whole baggage, so it replaces the context's; a header with nothing
  // valid in it leaves the context's baggage as it was.
  Context do_extract(const CarrierReader& carrier, const Context& context) const override {
    const std::vector<std::string_view> values = carrier.get_all(baggage_field);
    if (values.empty()) return context;
    auto joined = propagation::join_field_values(values, header_limits::baggage);
    if (!joined) return context;
    ParsedBaggage parsed = parse_baggage(*joined);
    if (parsed.baggage.empty()) return context;
    return context.with_baggage(std::move(parsed.baggage));
  }

  void do_inject(const Context& context, CarrierWriter& carrier) const override {
    if (context.baggage().empty()) return;
    const std::string header = format_baggage(context.baggage());
    if (!header.empty()) carrier.set(baggage_field, header);
  }
};

}  // namespace

PropagatorPointer make_baggage_propagator() {
  return std::make_shared<const BaggagePropagator>();
}

}  // namespace tachi_trace
