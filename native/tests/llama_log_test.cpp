// The log router: llama's error lines about a computation Tandem aborted on purpose (a cancelled
// request) are captured but not printed; every other error line is printed. stderr is redirected
// to a temporary file for the check.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "engine/runtime/llama_runtime.h"
#include "llama.h"
#include "test_runner.h"

using namespace tandem;

namespace {

// What `emit` wrote to stderr.
template <typename F>
std::string stderrOf(F emit) {
  std::fflush(stderr);
  FILE* sink = std::tmpfile();
  const int saved = dup(fileno(stderr));
  dup2(fileno(sink), fileno(stderr));
  emit();
  std::fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  std::string out;
  std::rewind(sink);
  for (int c; (c = std::fgetc(sink)) != EOF;) out.push_back(static_cast<char>(c));
  std::fclose(sink);
  return out;
}

void logError(const char* text) {
  ggml_log_callback callback = nullptr;
  void* data = nullptr;
  llama_log_get(&callback, &data);
  callback(GGML_LOG_LEVEL_ERROR, text, data);
}

}  // namespace

TEST("log: error lines after a deliberate abort are captured, not printed; others are printed") {
  setLogLevel("error");
  {
    ScopedLogCapture capture;
    const std::string printed = stderrOf([] { logError("llama_decode: failed to decode, ret = 2\n"); });
    CHECK(printed.find("failed to decode") != std::string::npos);
  }
  {
    ScopedLogCapture capture;
    noteDeliberateAbort();
    const std::string printed = stderrOf([] { logError("llama_decode: failed to decode, ret = 2\n"); });
    CHECK_EQ(printed, std::string());
    CHECK(capture.contains("failed to decode"));
  }
  {
    ScopedLogCapture capture;  // a new computation: printed again
    const std::string printed = stderrOf([] { logError("ggml: something else went wrong\n"); });
    CHECK(printed.find("something else") != std::string::npos);
  }
  setLogLevel("none");
}
