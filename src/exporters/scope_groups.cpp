#include "scope_groups.hpp"

#include <algorithm>

namespace tachi_trace::detail {

const std::vector<ScopeGroups::Group>& ScopeGroups::group(std::span<const SpanData* const> spans) {
  groups_.clear();
  scopes_.clear();
  group_of_span_.clear();
  // Scopes are few and spans of one scope usually come together: remember the last hit.
  std::uint32_t last_group = 0;
  for (const SpanData* span : spans) {
    if (scopes_.empty() || scopes_[last_group] != span->scope) {
      auto found = std::find(scopes_.begin(), scopes_.end(), span->scope);
      last_group = static_cast<std::uint32_t>(found - scopes_.begin());
      if (found == scopes_.end()) scopes_.push_back(span->scope);
    }
    group_of_span_.push_back(last_group);
  }
  if (scopes_.size() <= 1) {
    if (!spans.empty()) groups_.push_back(Group{scopes_.front(), spans});
    return groups_;
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
