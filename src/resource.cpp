#include "tachi_trace/resource.hpp"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <string>

#include "tachi_trace/version.hpp"

namespace tachi_trace {

Resource::Resource(Attributes attributes, std::string schema_url)
    : attributes_(std::move(attributes)), schema_url_(std::move(schema_url)) {}

const AttributeValue* Resource::find(std::string_view key) const noexcept {
  for (const auto& attribute : attributes_)
    if (attribute.key == key) return &attribute.value;
  return nullptr;
}

std::string_view Resource::service_name() const noexcept {
  if (const auto* value = find("service.name"))
    if (const auto* text = value->get_if<std::string>()) return *text;
  return "unknown_service";
}

Resource Resource::merged_with(const Attributes& updates) const {
  Resource merged = *this;
  for (const auto& update : updates) {
    bool replaced = false;
    for (auto& attribute : merged.attributes_) {
      if (attribute.key == update.key) {
        attribute.value = update.value;
        replaced = true;
      }
    }
    if (!replaced) merged.attributes_.push_back(update);
  }
  return merged;
}

namespace {

std::string executable_name() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return "unknown";
  std::string_view full(path, static_cast<std::size_t>(length));
  auto slash = full.rfind('/');
  return std::string(slash == std::string_view::npos ? full : full.substr(slash + 1));
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace

Resource detect_process_resource() {
  const std::string executable = executable_name();
  return Resource(Attributes{
      {"service.name", "unknown_service:" + executable},
      {"telemetry.sdk.name", library_name},
      {"telemetry.sdk.language", "cpp"},
      {"telemetry.sdk.version", library_version},
      {"host.name", host_name()},
      {"process.pid", static_cast<std::int64_t>(::getpid())},
      {"process.executable.name", executable},
  });
}

}  // namespace tachi_trace
