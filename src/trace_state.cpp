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
         character == '-' || character == '*' || character == '/' || character == '@';
}

std::string_view trim_optional_white_space(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool contains_key(const std::vector<TraceState::Member>& members, std::string_view key) {
  return std::any_of(members.begin(), members.end(),
                     [&](const TraceState::Member& member) { return member.key == key; });
}

std::size_t member_length(const TraceState::Member& member) {
  return member.key.size() + 1 + member.value.size();
}

// The recommendation's truncation order: members over 128 characters go first, right to left.
constexpr std::size_t long_member_length = 128;

}  // namespace

// Level 2: key = ( lcalpha / DIGIT ) 0*255 ( keychar ), keychar = lcalpha / DIGIT / "_" / "-" /
// "*" / "/" / "@". (Level 1's separate tenant@system grammar is gone: "foo@" and "a@b@c" are keys.)
bool TraceState::is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key_length) return false;
  if (!is_lowercase_letter(key.front()) && !is_digit(key.front())) return false;
  return std::all_of(key.begin(), key.end(), is_key_character);
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
  std::size_t member_count = 0;
  while (true) {
    const auto comma = header.find(',');
    const std::string_view member = trim_optional_white_space(header.substr(0, comma));
    if (!member.empty()) {
      if (++member_count > max_members) return std::nullopt;
      const auto equals = member.find('=');
      if (equals == std::string_view::npos) return std::nullopt;
      const std::string_view key = member.substr(0, equals);
      const std::string_view value = member.substr(equals + 1);
      if (!is_valid_key(key) || !is_valid_value(value)) return std::nullopt;
      if (!contains_key(members, key)) members.push_back({std::string(key), std::string(value)});
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

std::string TraceState::to_header(std::size_t max_length) const {
  std::vector<const Member*> kept;
  std::size_t length = 0;
  for (const auto& member : members()) {
    kept.push_back(&member);
    length += member_length(member) + (kept.size() > 1 ? 1 : 0);
  }
  auto remove_at = [&](std::size_t index) {
    length -= member_length(*kept[index]) + (kept.size() > 1 ? 1 : 0);
    kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(index));
  };
  for (std::size_t index = kept.size(); index-- > 0 && length > max_length;)
    if (member_length(*kept[index]) > long_member_length) remove_at(index);
  while (length > max_length && !kept.empty())
    remove_at(kept.size() - 1);
  std::string header;
  header.reserve(length);
  for (const Member* member : kept) {
    if (!header.empty()) header += ',';
    header.append(member->key).append("=").append(member->value);
  }
  return header;
}

}  // namespace tachi_trace
