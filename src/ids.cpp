#include "tachi_trace/ids.hpp"

#include <chrono>
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
// thread, so generating an id takes no lock and no system call.
class RandomGenerator {
 public:
  RandomGenerator() noexcept {
    std::random_device device;
    std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    seed ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ULL;
    for (auto& word : state_)
      word = split_mix(seed);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotate_left(state_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotate_left(std::uint64_t value, int bits) noexcept {
    return (value << bits) | (value >> (64 - bits));
  }
  static std::uint64_t split_mix(std::uint64_t& seed) noexcept {
    std::uint64_t value = (seed += 0x9e3779b97f4a7c15ULL);
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
  }

  std::uint64_t state_[4];
};

std::uint64_t next_nonzero_random() noexcept {
  thread_local RandomGenerator generator;
  std::uint64_t value = generator.next();
  while (value == 0)
    value = generator.next();
  return value;
}

void store_big_endian(std::uint64_t value, std::uint8_t* out) noexcept {
  for (int index = 7; index >= 0; --index) {
    out[index] = static_cast<std::uint8_t>(value);
    value >>= 8;
  }
}

}  // namespace

TraceId generate_trace_id() noexcept {
  TraceId::Bytes bytes;
  store_big_endian(next_nonzero_random(), bytes.data());
  store_big_endian(next_nonzero_random(), bytes.data() + 8);
  return TraceId(bytes);
}

SpanId generate_span_id() noexcept {
  SpanId::Bytes bytes;
  store_big_endian(next_nonzero_random(), bytes.data());
  return SpanId(bytes);
}

}  // namespace tachi_trace
