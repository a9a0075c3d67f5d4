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

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, good statistical quality. One per
// thread, so generating an id takes no lock and no system call. The state is a plain thread-local
// array (no initialisation guard on each use), seeded on the thread's first id.
thread_local std::uint64_t generator_state[4] = {0, 0, 0, 0};

std::uint64_t split_mix(std::uint64_t& seed) noexcept {
  std::uint64_t value = (seed += 0x9e3779b97f4a7c15ULL);
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

[[gnu::noinline]] void seed_generator() noexcept {
  std::random_device device;
  std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  seed ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  seed ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ULL;
  for (auto& word : generator_state)
    word = split_mix(seed);
}

std::uint64_t rotate_left(std::uint64_t value, int bits) noexcept {
  return (value << bits) | (value >> (64 - bits));
}

std::uint64_t next_random() noexcept {
  std::uint64_t* state = generator_state;
  if ((state[0] | state[1] | state[2] | state[3]) == 0) seed_generator();
  const std::uint64_t result = rotate_left(state[1] * 5, 7) * 9;
  const std::uint64_t shifted = state[1] << 17;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= shifted;
  state[3] = rotate_left(state[3], 45);
  return result;
}

std::uint64_t next_nonzero_random() noexcept {
  std::uint64_t value = next_random();
  while (value == 0)
    value = next_random();
  return value;
}

void store_random_word(std::uint64_t value, std::uint8_t* out) noexcept {
  // The words are random, so their byte order does not matter.
  std::memcpy(out, &value, sizeof value);
}

}  // namespace

TraceId generate_trace_id() noexcept {
  TraceId::Bytes bytes;
  store_random_word(next_nonzero_random(), bytes.data());
  store_random_word(next_nonzero_random(), bytes.data() + 8);
  return TraceId(bytes);
}

SpanId generate_span_id() noexcept {
  SpanId::Bytes bytes;
  store_random_word(next_nonzero_random(), bytes.data());
  return SpanId(bytes);
}

}  // namespace tachi_trace
