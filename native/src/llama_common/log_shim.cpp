// The logging entry points that llama.cpp's common/ngram-*.cpp call through common/log.h
// (LOG_DBG, LOG_INF, …), provided without common/log.cpp: that one starts a worker thread that
// prints to stdout (the CLI's JSON channel) and pulls in common/json.cpp with nlohmann/json.
// Warnings and errors go to llama's log callback (Tandem's router, which also feeds
// ScopedLogCapture); debug and info lines are dropped before they are formatted.
#include <cstdarg>
#include <cstdio>

#include "llama.h"
#include "log.h"

int common_log_get_verbosity_thold(void) { return LOG_LEVEL_WARN; }

struct common_log* common_log_main() { return nullptr; }

void common_log_add(struct common_log* /*log*/, enum ggml_log_level level, const char* fmt, ...) {
  char line[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  ggml_log_callback callback = nullptr;
  void* userData = nullptr;
  llama_log_get(&callback, &userData);
  if (callback) callback(level, line, userData);
}
