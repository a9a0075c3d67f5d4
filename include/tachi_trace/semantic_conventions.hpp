// OpenTelemetry semantic-convention attribute names as ConstantKeys.
//
// `span.set_attribute(semconv::http_route, route)` sets the same attribute as
// `span.set_attribute("http.route", route)`, but the span holds the key by reference: no copy of
// its text, and a one-pointer match when a recycled record held it last. The library's own
// instrumentation (HTTP server and client spans, the traced awaitables) sets its attributes
// through these names; any other constant can be made one with `ConstantKey{"my.key"}`.
#pragma once

#include "tachi_trace/attributes.hpp"

namespace tachi_trace::semconv {

// HTTP (server and client spans).
inline constexpr ConstantKey http_request_method{"http.request.method"};
inline constexpr ConstantKey http_request_method_original{"http.request.method_original"};
inline constexpr ConstantKey http_request_body_size{"http.request.body.size"};
inline constexpr ConstantKey http_response_status_code{"http.response.status_code"};
inline constexpr ConstantKey http_response_body_size{"http.response.body.size"};
inline constexpr ConstantKey http_route{"http.route"};
inline constexpr ConstantKey url_full{"url.full"};
inline constexpr ConstantKey url_path{"url.path"};
inline constexpr ConstantKey url_query{"url.query"};
inline constexpr ConstantKey url_scheme{"url.scheme"};
inline constexpr ConstantKey server_address{"server.address"};
inline constexpr ConstantKey server_port{"server.port"};
inline constexpr ConstantKey client_address{"client.address"};
inline constexpr ConstantKey user_agent_original{"user_agent.original"};
inline constexpr ConstantKey network_peer_address{"network.peer.address"};
inline constexpr ConstantKey network_peer_port{"network.peer.port"};
inline constexpr ConstantKey network_protocol_version{"network.protocol.version"};
inline constexpr ConstantKey error_type{"error.type"};

// Databases.
inline constexpr ConstantKey db_system_name{"db.system.name"};
inline constexpr ConstantKey db_operation_name{"db.operation.name"};
inline constexpr ConstantKey db_collection_name{"db.collection.name"};

// Generative AI.
inline constexpr ConstantKey gen_ai_system{"gen_ai.system"};
inline constexpr ConstantKey gen_ai_request_model{"gen_ai.request.model"};

// Exceptions (the attributes of an "exception" event).
inline constexpr ConstantKey exception_type{"exception.type"};
inline constexpr ConstantKey exception_message{"exception.message"};
inline constexpr ConstantKey exception_stacktrace{"exception.stacktrace"};

}  // namespace tachi_trace::semconv
