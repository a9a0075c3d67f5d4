// Boost.Beast HTTP servers and clients with tracing, in one include: the server middleware, the
// session loop and HttpServer (beast_server.hpp), injection and the traced HTTP client
// (beast_client.hpp).
//
//   #include <tachi_trace/beast.hpp>
//   auto server = tachi_trace::HttpServer::listen(io, endpoint,
//                                                 tachi_trace::traced_http_handler(handler));
//   auto reply = co_await tachi_trace::traced_http_get("http://127.0.0.1:8081/api/specs/7");
//
// A request's SERVER span is the child of the caller's CLIENT span across processes: the client
// injects its span's context, the middleware extracts it. See each header for the details.
#pragma once

#include "tachi_trace/beast_client.hpp"
#include "tachi_trace/beast_server.hpp"
