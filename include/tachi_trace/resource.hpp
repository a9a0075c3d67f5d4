// The resource: attributes describing the process that produces the spans (service.name, host.name,
// process.pid, telemetry.sdk.*, ...). Exporters send it once per batch.
#pragma once

#include <string>
#include <string_view>

#include "tachi_trace/attributes.hpp"

namespace tachi_trace {

class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes, std::string schema_url = {});

  const Attributes& attributes() const noexcept { return attributes_; }
  const std::string& schema_url() const noexcept { return schema_url_; }
  const AttributeValue* find(std::string_view key) const noexcept;
  /// service.name as a string ("unknown_service" if it is missing or not a string).
  std::string_view service_name() const noexcept;

  /// A copy in which `updates` replace attributes of the same key and add the others.
  Resource merged_with(const Attributes& updates) const;

 private:
  Attributes attributes_;
  std::string schema_url_;
};

/// What the process can tell about itself: telemetry.sdk.{name,language,version}, host.name,
/// process.pid, process.executable.name, and service.name = "unknown_service:<executable>".
Resource detect_process_resource();

}  // namespace tachi_trace
