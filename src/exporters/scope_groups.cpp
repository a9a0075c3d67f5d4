#include "scope_groups.hpp"

#include <algorithm>

namespace tachi_trace::detail {

namespace {

// Scopes are owned by their provider, one object per name and version, so the pointer decides;
// spans copied out of a provider (an in-memory store) carry copies, which compare by value.
bool same_scope(const InstrumentationScope* left, const InstrumentationScope* right) {
  if (left == right) return true;
  return left != nullptr && right != nullptr && left->name == right->name &&
         left->version == right->version && left->schema_url == right->schema_url;
}

}  // namespace

const std::vector<ScopeGroups::Group>& ScopeGroups::group(std::span<const SpanData* const> spans) {
  groups_.clear();
  if (spans.empty()) return groups_;
  // The common case: one scope for the whole batch.
  const InstrumentationScope* first_scope = spans.front()->scope;
  if (std::all_of(spans.begin(), spans.end(),
                  [&](const SpanData* span) { return same_scope(span->scope, first_scope); })) {
    groups_.push_back(Group{first_scope, spans});
    return groups_;
  }
  scopes_.clear();
  group_of_span_.clear();
  // Scopes are few and spans of one scope usually come together: remember the last hit.
  std::uint32_t last_group = 0;
  for (const SpanData* span : spans) {
    if (scopes_.empty() || !same_scope(scopes_[last_group], span->scope)) {
      auto found = std::find_if(scopes_.begin(), scopes_.end(),
                                [&](const auto* scope) { return same_scope(scope, span->scope); });
      last_group = static_cast<std::uint32_t>(found - scopes_.begin());
      if (found == scopes_.end()) scopes_.push_back(span->scope);
    }
    group_of_span_.push_back(last_group);
  }
  // Several scopes: a counting sort into one contiguous order.
  next_slot_.assign(scopes_.size() + 1, 0);
  for (std::uint32_t group : group_of_span_)
    ++next_slot_[group + 1];
  for (std::size_t index = 1; index < next_slot_.size(); ++index)
    next_slot_[index] += next_slot_[index - 1];
  ordered_.resize(spans.size());
  for (std::size_t index = 0; index < spans.size(); ++index)
    ordered_[next_slot_[group_of_span_[index]]++] = spans[index];
  std::size_t first = 0;
  for (std::size_t group = 0; group < scopes_.size(); ++group) {
    const std::size_t last = next_slot_[group];
    groups_.push_back(Group{
        scopes_[group], std::span<const SpanData* const>(ordered_.data() + first, last - first)});
    first = last;
  }
  return groups_;
}

}  // namespace tachi_trace::detail
