// The part of a fuzz iteration that may crash: a model the check accepted, loaded and run by the
// engine's own code (Model::load, an InferenceContext, a few greedy tokens) in a forked child, so
// an abort or a hang there is observed by the fuzzer instead of ending it.
#pragma once

#include <string>

namespace tandem::fuzz {

struct ProbeResult {
  enum class Kind { Generated, LoadFailed, RunFailed, OtherException, Signal, Timeout, ForkFailed };
  Kind kind = Kind::Generated;
  int signal = 0;      // Kind::Signal
  std::string detail;  // the engine's error message, or the child's last stderr lines
  bool isFinding() const { return kind == Kind::Signal || kind == Kind::Timeout; }
};

// Loads `modelPath` in a child process that writes its stderr to `logPath`; kills it after
// `timeoutMs` milliseconds. The child's address space is limited to `memoryLimitBytes`.
ProbeResult probeLoad(const std::string& modelPath, const std::string& logPath, int timeoutMs, unsigned long long memoryLimitBytes);

const char* kindName(ProbeResult::Kind kind);

}  // namespace tandem::fuzz
