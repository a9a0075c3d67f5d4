// What nearly every test program parses: Catch2, Asio's coroutine machinery, Beast's HTTP
// messages, nlohmann_json and the library's own headers. Precompiled once per build and shared by
// every test program, so each test file compiles only its own code (Asio and Beast dominate
// compile time on small machines).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/asio_support.hpp"
#include "support/beast_support.hpp"
#include "support/http_receiver.hpp"
#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/propagation_beast.hpp"
#include "tachi_trace/traced.hpp"
