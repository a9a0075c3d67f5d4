#include <algorithm>

#include "tachi_trace/ids.hpp"

namespace tachi_trace {

namespace {

bool is_lowercase_letter(char character) {
  return character >= 'a' && character <= 'z';
}
bool is_digit(char character) {
  return character >= '0' && character <= '9';
}
bool is_key_character(char character) {
  return is_lowercase_letter(character) || is_digit(character) || character == '_' ||
         character == '-' || character == '*' || character == '/';
}

// simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
bool is_valid_simple_key(std::string_view key) {
  if (key.empty() || key.size() > 256 || !is_lowercase_letter(key.front())) return false;
  return std::all_of(key.begin(), key.end(), is_key_character);
}

// tenant-id = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// system-id = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
bool is_valid_multi_tenant_key(std::string_view tenant, std::string_view system) {
  if (tenant.empty() || tenant.size() > 241) return false;
  if (!is_lowercase_letter(tenant.front()) && !is_digit(tenant.front())) return false;
  if (!std::all_of(tenant.begin(), tenant.end(), is_key_character)) return false;
  if (system.empty() || system.size() > 14 || !is_lowercase_letter(system.front())) return false;
  return std::all_of(system.begin(), system.end(), is_key_character);
}

std::string_view trim_optional_white_space(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

bool TraceState::is_valid_key(std::string_view key) noexcept {
  auto at = key.find('@');
  if (at == std::string_view::npos) return is_valid_simple_key(key);
  return is_valid_multi_tenant_key(key.substr(0, at), key.substr(at + 1));
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool TraceState::is_valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > max_value_length) return false;
  auto is_nonblank = [](char character) {
    return character >= 0x21 && character <= 0x7e && character != ',' && character != '=';
  };
  if (!is_nonblank(value.back())) return false;
  return std::all_of(value.begin(), value.end(),
                     [&](char character) { return character == ' ' || is_nonblank(character); });
}

TraceState::TraceState(std::vector<Member> members)
    : members_(members.empty() ? nullptr
                               : std::make_shared<const std::vector<Member>>(std::move(members))) {}

std::optional<TraceState> TraceState::parse(std::string_view header) {
  std::vector<Member> members;
  while (true) {
    auto comma = header.find(',');
    std::string_view member = trim_optional_white_space(header.substr(0, comma));
    if (!member.empty()) {
      auto equals = member.find('=');
      if (equals == std::string_view::npos) return std::nullopt;
      std::string_view key = member.substr(0, equals);
      std::string_view value = member.substr(equals + 1);
      if (!is_valid_key(key) || !is_valid_value(value)) return std::nullopt;
      for (const auto& existing : members)
        if (existing.key == key) return std::nullopt;
      if (members.size() == max_members) return std::nullopt;
      members.push_back({std::string(key), std::string(value)});
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return TraceState(std::move(members));
}

const std::vector<TraceState::Member>& TraceState::members() const noexcept {
  static const std::vector<Member> no_members;
  return members_ ? *members_ : no_members;
}

std::optional<std::string_view> TraceState::get(std::string_view key) const noexcept {
  for (const auto& member : members())
    if (member.key == key) return std::string_view(member.value);
  return std::nullopt;
}

std::optional<TraceState> TraceState::with(std::string_view key, std::string_view value) const {
  if (!is_valid_key(key) || !is_valid_value(value)) return std::nullopt;
  std::vector<Member> updated;
  updated.reserve(size() + 1);
  updated.push_back({std::string(key), std::string(value)});
  for (const auto& member : members())
    if (member.key != key) updated.push_back(member);
  if (updated.size() > max_members) updated.pop_back();
  return TraceState(std::move(updated));
}

TraceState TraceState::without(std::string_view key) const {
  std::vector<Member> remaining;
  for (const auto& member : members())
    if (member.key != key) remaining.push_back(member);
  return TraceState(std::move(remaining));
}

std::string TraceState::to_header() const {
  std::string header;
  for (const auto& member : members()) {
    if (!header.empty()) header += ',';
    header += member.key;
    header += '=';
    header += member.value;
  }
  return header;
}

}  // namespace tachi_trace
