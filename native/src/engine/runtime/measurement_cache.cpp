#include "engine/runtime/measurement_cache.h"

#include <sys/stat.h>
#if defined(_WIN32)
#include <direct.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

namespace tandem {

std::string costCacheDir() {
  if (const char* d = std::getenv("TANDEM_COST_CACHE_DIR")) return d;
#if defined(_WIN32)
  if (const char* l = std::getenv("LOCALAPPDATA")) return std::string(l) + "/tandem/cost";
#endif
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/tandem/cost";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/tandem/cost";
  return "";
}

void makeCacheDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
#if defined(_WIN32)
    if (i == dir.size() || dir[i] == '/' || dir[i] == '\\') _mkdir(dir.substr(0, i).c_str());
#else
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0755);
#endif
  }
}

std::string costCacheKey(const CostCacheIdentity& id) {
  std::ostringstream key;
  key << id.modelPath << '|' << id.fileSizeBytes << '|' << id.mtime << '|' << id.threads << '|' << id.description << '|' << id.layers << '|'
      << id.device;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(key.str()));
  return hex;
}

}  // namespace tandem
