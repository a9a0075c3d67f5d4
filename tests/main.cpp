#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "../sanitizers/asio_executor_suppression.hpp"  // defines the ThreadSanitizer hook
