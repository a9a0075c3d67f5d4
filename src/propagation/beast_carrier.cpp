#include "tachi_trace/propagation_beast.hpp"

namespace tachi_trace {

std::optional<std::string_view> BeastHeaderReader::get(std::string_view key) const {
  const auto field = fields_->find(key);
  if (field == fields_->end()) return std::nullopt;
  return std::string_view(field->value());
}

std::vector<std::string_view> BeastHeaderReader::get_all(std::string_view key) const {
  std::vector<std::string_view> values;
  const auto [first, last] = fields_->equal_range(key);
  for (auto field = first; field != last; ++field)
    values.emplace_back(field->value());
  return values;
}

std::vector<std::string_view> BeastHeaderReader::keys() const {
  std::vector<std::string_view> names;
  for (const auto& field : *fields_)
    names.emplace_back(field.name_string());
  return names;
}

void BeastHeaderCarrier::set(std::string_view key, std::string_view value) {
  fields_->set(key, value);
}

}  // namespace tachi_trace
