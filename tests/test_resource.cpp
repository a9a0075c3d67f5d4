#include <unistd.h>
#include <catch2/catch.hpp>

#include "tachi_trace/resource.hpp"
#include "tachi_trace/version.hpp"

using namespace tachi_trace;

TEST_CASE("the detected resource describes the SDK, the host and the process") {
  Resource resource = detect_process_resource();
  CHECK(resource.service_name() == "unknown_service:test_resource");
  CHECK(*resource.find("telemetry.sdk.name") == AttributeValue("tachi_trace"));
  CHECK(*resource.find("telemetry.sdk.language") == AttributeValue("cpp"));
  CHECK(*resource.find("telemetry.sdk.version") == AttributeValue(library_version));
  CHECK(*resource.find("process.pid") == AttributeValue(static_cast<std::int64_t>(getpid())));
  CHECK(*resource.find("process.executable.name") == AttributeValue("test_resource"));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  CHECK(*resource.find("host.name") == AttributeValue(std::string(host)));
}

TEST_CASE("merging replaces attributes of the same key and adds the others") {
  Resource base(Attributes{{"service.name", "a"}, {"x", 1}});
  Resource merged = base.merged_with({{"service.name", "b"}, {"service.version", "1.2.3"}});
  CHECK(merged.service_name() == "b");
  CHECK(*merged.find("x") == AttributeValue(1));
  CHECK(*merged.find("service.version") == AttributeValue("1.2.3"));
  CHECK(merged.attributes().size() == 3);
  CHECK(Resource().service_name() == "unknown_service");
}
