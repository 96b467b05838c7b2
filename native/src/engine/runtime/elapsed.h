// Milliseconds since a steady-clock time point: how the engine times its phases for the stats.
#pragma once

#include <chrono>

namespace tandem {

inline double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tandem
