// Where measured timings are cached on disk (the T(k) curves of speculation/cost_model.h and the
// per-device phase timings of placement/auto_placement.h), and the key a cached measurement is
// filed under, so each is measured once per machine.
#pragma once

#include <cstdint>
#include <string>

namespace tandem {

// What a cached measurement depends on: the model file (path, size, mtime, shape), the threads and
// the device that runs the measured phase (with how it runs there, e.g. "CPU" or
// "CPU+op-offload:CUDA0"). Any change → another cache file.
struct CostCacheIdentity {
  std::string modelPath;
  uint64_t fileSizeBytes = 0;
  long long mtime = 0;
  std::string description;
  int32_t layers = 0;
  int32_t threads = 0;
  std::string device;
};
std::string costCacheKey(const CostCacheIdentity& identity);  // 16 hex digits
// TANDEM_COST_CACHE_DIR, else $XDG_CACHE_HOME/tandem/cost or ~/.cache/tandem/cost; "" or "off": none.
std::string costCacheDir();
void makeCacheDirs(const std::string& dir);

}  // namespace tandem
