#include "tachi_trace/context.hpp"

#include <algorithm>

namespace tachi_trace {

namespace {
thread_local ContextSlot* active_task_slot = nullptr;
thread_local ContextSlot thread_slot;
}  // namespace

namespace detail {
ContextSlot*& active_task_slot_variable() noexcept {
  return active_task_slot;
}
}  // namespace detail

ContextSlot& active_slot() noexcept {
  ContextSlot* task_slot = active_task_slot;
  return task_slot != nullptr ? *task_slot : thread_slot;
}

Baggage::Baggage(std::vector<Entry> entries)
    : entries_(entries.empty() ? nullptr
                               : std::make_shared<const std::vector<Entry>>(std::move(entries))) {}

Baggage Baggage::from_entries(std::vector<Entry> entries) {
  std::vector<Entry> unique;
  unique.reserve(entries.size());
  for (auto& entry : entries) {
    auto existing = std::find_if(unique.begin(), unique.end(),
                                 [&](const Entry& kept) { return kept.key == entry.key; });
    if (existing != unique.end())
      *existing = std::move(entry);
    else
      unique.push_back(std::move(entry));
  }
  return Baggage(std::move(unique));
}

const std::vector<Baggage::Entry>& Baggage::entries() const noexcept {
  static const std::vector<Entry> no_entries;
  return entries_ ? *entries_ : no_entries;
}

std::optional<std::string_view> Baggage::get(std::string_view key) const noexcept {
  for (const auto& entry : entries())
    if (entry.key == key) return std::string_view(entry.value);
  return std::nullopt;
}

Baggage Baggage::with(std::string_view key, std::string_view value,
                      std::string_view metadata) const {
  std::vector<Entry> updated = entries();
  auto existing = std::find_if(updated.begin(), updated.end(),
                               [&](const Entry& entry) { return entry.key == key; });
  if (existing != updated.end()) {
    existing->value = value;
    existing->metadata = metadata;
  } else {
    updated.push_back({std::string(key), std::string(value), std::string(metadata)});
  }
  return Baggage(std::move(updated));
}

Baggage Baggage::without(std::string_view key) const {
  std::vector<Entry> remaining;
  for (const auto& entry : entries())
    if (entry.key != key) remaining.push_back(entry);
  return Baggage(std::move(remaining));
}

}  // namespace tachi_trace
