// Seeded, deterministic mutations of a GGUF model: values changed where llama.cpp reads them
// (interesting integers, floats and strings, per-layer arrays, duplicated tokens), keys added,
// removed, duplicated or moved to another architecture, tensor descriptions changed, and raw
// bit flips, overwrites, insertions and truncations of the file. Each mutant says what was done.
#pragma once

#include <cstdint>
#include <string>

#include "gguf_image.h"

namespace tandem::fuzz {

// splitmix64: one independent stream per iteration, so any iteration can be replayed alone.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(double p) { return (next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  uint64_t state_;
};

struct Mutant {
  std::string bytes;
  std::string description;  // one line per mutation
};

// One to four mutations of `seed`.
Mutant mutate(const GgufImage& seed, Rng& rng);

}  // namespace tandem::fuzz
