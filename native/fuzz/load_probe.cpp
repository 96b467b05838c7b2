#include "load_probe.h"

#include <fcntl.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "engine/decode/inference_context.h"
#include "engine/model/model.h"
#include "engine/runtime/engine_error.h"

namespace tandem::fuzz {
namespace {

// Exit codes of the child (anything else is unexpected and reported as such).
constexpr int kGenerated = 0, kLoadFailed = 10, kRunFailed = 11, kOtherException = 12;

// What the engine does with a new model: load it (the check runs again inside), read a prompt and
// generate a few greedy tokens. Norm epsilons, for one, only abort here, not while loading.
[[noreturn]] void runChild(const std::string& modelPath) {
  std::shared_ptr<Model> model;
  try {
    ModelLoadOptions options;
    options.prefillDevice = "cpu";
    options.decodeDevice = "cpu";
    model = Model::load(modelPath, options);
  } catch (const EngineError& e) {
    std::fprintf(stderr, "load failed: %s: %s\n", errorCodeName(e.code()), e.what());
    std::_Exit(kLoadFailed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load threw %s\n", e.what());
    std::_Exit(kOtherException);
  }
  try {
    InferenceContext context(model, ContextOptions{/*contextSize=*/64, /*threads=*/1, /*batchSize=*/64});
    std::vector<llama_token> tokens = model->tokenize("int main(void) {\n  return", /*addSpecial=*/true, /*parseSpecial=*/false);
    if (tokens.empty()) tokens.push_back(0);
    context.append(tokens.data(), tokens.size());
    std::vector<llama_token> generated;
    for (int step = 0; step < 4; ++step) {
      const float* logits = context.lastLogits();
      const int32_t vocab = model->vocabSize();
      const llama_token next = static_cast<llama_token>(std::max_element(logits, logits + vocab) - logits);
      generated.push_back(next);
      model->tokenPiece(next, /*renderSpecial=*/true);
      context.append(&next, 1);
    }
    model->detokenize(generated, /*renderSpecial=*/false);
  } catch (const EngineError& e) {
    std::fprintf(stderr, "run failed: %s: %s\n", errorCodeName(e.code()), e.what());
    std::_Exit(kRunFailed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run threw %s\n", e.what());
    std::_Exit(kOtherException);
  }
  std::_Exit(kGenerated);
}

// The last few non-empty lines of the child's stderr (ggml prints its assertion there).
std::string tail(const std::string& logPath) {
  std::ifstream in(logPath);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line.size() > 400 ? line.substr(0, 400) + "…" : line);
  std::ostringstream out;
  for (size_t i = lines.size() > 4 ? lines.size() - 4 : 0; i < lines.size(); ++i) out << (out.tellp() > 0 ? "\n" : "") << lines[i];
  return out.str();
}

}  // namespace

const char* kindName(ProbeResult::Kind kind) {
  switch (kind) {
    case ProbeResult::Kind::Generated:
      return "generated";
    case ProbeResult::Kind::LoadFailed:
      return "load failed cleanly";
    case ProbeResult::Kind::RunFailed:
      return "run failed cleanly";
    case ProbeResult::Kind::OtherException:
      return "unexpected exception";
    case ProbeResult::Kind::Signal:
      return "killed by a signal";
    case ProbeResult::Kind::Timeout:
      return "timed out";
    case ProbeResult::Kind::ForkFailed:
      return "fork failed";
  }
  return "?";
}

ProbeResult probeLoad(const std::string& modelPath, const std::string& logPath, int timeoutMs, unsigned long long memoryLimitBytes) {
  std::fflush(nullptr);  // nothing buffered twice
  const pid_t pid = fork();
  if (pid < 0) return ProbeResult{ProbeResult::Kind::ForkFailed, 0, "fork failed"};
  if (pid == 0) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a fuzzer stopped by a timeout takes a hung child with it
#endif
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, SIG_DFL);  // the fuzzer's own crash report is not ours
    const int log = open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, STDERR_FILENO);
      close(log);
    }
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    const rlimit limit{memoryLimitBytes, memoryLimitBytes};
    setrlimit(RLIMIT_AS, &limit);
    runChild(modelPath);
  }

  ProbeResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.kind = ProbeResult::Kind::Timeout;
      result.detail = tail(logPath);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  result.detail = tail(logPath);
  if (WIFSIGNALED(status)) {
    result.kind = ProbeResult::Kind::Signal;
    result.signal = WTERMSIG(status);
  } else {
    switch (WEXITSTATUS(status)) {
      case kGenerated:
        result.kind = ProbeResult::Kind::Generated;
        break;
      case kLoadFailed:
        result.kind = ProbeResult::Kind::LoadFailed;
        break;
      case kRunFailed:
        result.kind = ProbeResult::Kind::RunFailed;
        break;
      default:
        result.kind = ProbeResult::Kind::OtherException;
        break;
    }
  }
  return result;
}

}  // namespace tandem::fuzz
