#include "tachi_trace/ids.hpp"

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace tachi_trace {

namespace detail {

void write_hex(const std::uint8_t* bytes, std::size_t size, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t index = 0; index < size; ++index) {
    out[2 * index] = digits[bytes[index] >> 4];
    out[2 * index + 1] = digits[bytes[index] & 0x0f];
  }
}

namespace {
int lowercase_hex_value(char digit) noexcept {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  return -1;
}
}  // namespace

bool read_lowercase_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size) noexcept {
  if (hex.size() != 2 * size) return false;
  for (std::size_t index = 0; index < size; ++index) {
    int high = lowercase_hex_value(hex[2 * index]);
    int low = lowercase_hex_value(hex[2 * index + 1]);
    if (high < 0 || low < 0) return false;
    bytes[index] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

}  // namespace detail

namespace {

// wyrand (Wang Yi): one 64-bit state word and one 128-bit multiply per number, statistically
// sound for ids. One per thread, so generating an id takes no lock and no system call. The state is
// a plain thread-local word (no initialisation guard on each use), seeded on the thread's first id.
thread_local std::uint64_t generator_state = 0;

[[gnu::noinline]] void seed_generator() noexcept {
  std::random_device device;
  std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  seed ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  seed ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ULL;
  generator_state = seed | 1;
}

// The full 64x64->128 product (GCC and Clang's extension; -Wpedantic is told it is meant).
__extension__ using WideProduct = unsigned __int128;

/// One wyrand step on a state held in a register; the caller stores the state back once.
std::uint64_t next_random(std::uint64_t& state) noexcept {
  state += 0xa0761d6478bd642fULL;
  const WideProduct product = static_cast<WideProduct>(state) * (state ^ 0xe7037ed1a0b428dbULL);
  return static_cast<std::uint64_t>(product >> 64) ^ static_cast<std::uint64_t>(product);
}

std::uint64_t next_nonzero_random(std::uint64_t& state) noexcept {
  std::uint64_t value = next_random(state);
  while (value == 0)
    value = next_random(state);
  return value;
}

std::uint64_t loaded_state() noexcept {
  if (generator_state == 0) [[unlikely]]
    seed_generator();
  return generator_state;
}

void store_random_word(std::uint64_t value, std::uint8_t* out) noexcept {
  // The words are random, so their byte order does not matter.
  std::memcpy(out, &value, sizeof value);
}

}  // namespace

TraceId generate_trace_id() noexcept {
  std::uint64_t state = loaded_state();
  TraceId::Bytes bytes;
  store_random_word(next_nonzero_random(state), bytes.data());
  store_random_word(next_nonzero_random(state), bytes.data() + 8);
  generator_state = state;
  return TraceId(bytes);
}

RootSpanIds generate_root_span_ids() noexcept {
  std::uint64_t state = loaded_state();
  TraceId::Bytes trace_bytes;
  SpanId::Bytes span_bytes;
  store_random_word(next_nonzero_random(state), trace_bytes.data());
  store_random_word(next_nonzero_random(state), trace_bytes.data() + 8);
  store_random_word(next_nonzero_random(state), span_bytes.data());
  generator_state = state;
  return RootSpanIds{TraceId(trace_bytes), SpanId(span_bytes)};
}

SpanId generate_span_id() noexcept {
  std::uint64_t state = loaded_state();
  SpanId::Bytes bytes;
  store_random_word(next_nonzero_random(state), bytes.data());
  generator_state = state;
  return SpanId(bytes);
}

}  // namespace tachi_trace
