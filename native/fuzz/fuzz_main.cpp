// tandem_model_fuzz: a deterministic mutation fuzzer for the model file check (checkModelFile).
//
//   tandem_model_fuzz [--iterations N] [--seed S] [--findings DIR] [--vocab-dir DIR]
//                     [--timeout-ms MS] [--replay I] [--quiet]
//
// Seeds are small random-weight models written by the engine's test model writer (llama layout
// with an SPM vocabulary, qwen2 layout with a BPE one). Each iteration mutates one of them
// (mutator.h), runs the check in this process, and loads every mutant the check accepts with the
// engine in a forked child (load_probe.h). A finding is a child killed by a signal or hung, or a
// check that crashes or throws something other than EngineError: the mutant is written to the
// findings folder with what was done to it. Iteration I of seed S is the same on every run, so
// `--seed S --replay I` reproduces one. Exit status: 0 no findings, 1 findings, 2 usage/set-up.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/model/model_file_check.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"
#include "engine/tools/test_model_writer.h"
#include "gguf_image.h"
#include "load_probe.h"
#include "mutator.h"

namespace fs = std::filesystem;
using namespace tandem;
using namespace tandem::fuzz;

namespace {

struct Options {
  uint64_t iterations = 1000;
  uint64_t seed = 1;
  std::string findings = "test-artifacts/model-fuzz";
  std::string vocabDir;
  int timeoutMs = 20000;
  long long replay = -1;
  bool quiet = false;
};

const char* kUsage =
    "usage: tandem_model_fuzz [--iterations N] [--seed S] [--findings DIR] [--vocab-dir DIR] [--timeout-ms MS] [--replay I] [--quiet]\n"
    "  --iterations N   mutants to try (default 1000)\n"
    "  --seed S         run seed: iteration I of seed S is the same mutant on every run (default 1)\n"
    "  --findings DIR   where crashing mutants are written (default test-artifacts/model-fuzz)\n"
    "  --vocab-dir DIR  llama.cpp's models/ folder with ggml-vocab-*.gguf (default: the pinned checkout)\n"
    "  --timeout-ms MS  a load that takes longer is a hang (default 20000)\n"
    "  --replay I       run only iteration I, describe it and keep its mutant\n";

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (a == "--help" || a == "-h") return false;
    if (!(v = value())) return false;
    if (a == "--iterations")
      o.iterations = std::strtoull(v, nullptr, 10);
    else if (a == "--seed")
      o.seed = std::strtoull(v, nullptr, 10);
    else if (a == "--findings")
      o.findings = v;
    else if (a == "--vocab-dir")
      o.vocabDir = v;
    else if (a == "--timeout-ms")
      o.timeoutMs = std::atoi(v);
    else if (a == "--replay")
      o.replay = std::atoll(v);
    else
      return false;
  }
  return o.timeoutMs > 0;
}

std::string defaultVocabDir() {
  if (const char* dir = std::getenv("LLAMA_CPP_DIR")) return std::string(dir) + "/models";
  return TANDEM_FUZZ_VOCAB_DIR;
}

// A temporary folder, removed when the fuzzer ends normally (kept when it crashes: it holds the
// mutant that crashed it).
class WorkDir {
 public:
  WorkDir() {
    std::string pattern = (fs::temp_directory_path() / "tandem-model-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Seed {
  std::string name;
  GgufImage image;
};

std::vector<Seed> makeSeeds(const fs::path& work, const std::string& vocabDir) {
  struct Plan {
    const char* name;
    const char* arch;
    const char* vocab;
  };
  const Plan plans[] = {{"llama+spm", "llama", "llama-spm"}, {"qwen2+bpe", "qwen2", "deepseek-coder"}};
  std::vector<Seed> seeds;
  for (const auto& p : plans) {
    TestModelSpec spec;
    spec.arch = p.arch;
    spec.layers = 2;
    spec.embd = 32;
    spec.heads = 4;
    spec.kvHeads = 2;
    spec.ffn = 64;
    spec.contextLength = 256;
    spec.type = "q4_0";
    spec.vocabPath = vocabDir + "/ggml-vocab-" + p.vocab + ".gguf";
    spec.out = (work / (std::string(p.name) + ".gguf")).string();
    writeTestModel(spec);
    std::ifstream in(spec.out, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    seeds.push_back({p.name, GgufImage::parse(bytes)});
  }
  return seeds;
}

// What a crash of the fuzzer process itself (i.e. in the check) reports: set before each check.
char g_crashContext[8192];

void onCrash(int sig) {
  const char* head = "\nFINDING: the model file check itself crashed with signal ";
  (void)!write(STDERR_FILENO, head, std::strlen(head));
  char num[8];
  const int n = std::snprintf(num, sizeof num, "%d", sig);
  (void)!write(STDERR_FILENO, num, static_cast<size_t>(n));
  (void)!write(STDERR_FILENO, " on ", 4);
  (void)!write(STDERR_FILENO, g_crashContext, std::strlen(g_crashContext));
  (void)!write(STDERR_FILENO, "\n", 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

uint64_t iterationSeed(uint64_t seed, uint64_t iteration) {
  Rng mix(seed * 0x9E3779B97F4A7C15ull ^ (iteration + 0x632BE59BD9B4E019ull));
  return mix.next();
}

std::string indent(const std::string& text, const char* prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

struct Tally {
  uint64_t rejected = 0, accepted = 0, findings = 0;
  std::map<std::string, uint64_t> rejectedBy;    // error code → count
  std::map<ProbeResult::Kind, uint64_t> probes;  // outcome of accepted mutants
  std::map<std::string, uint64_t> sites;         // distinct finding sites
};

// The line that names where it crashed (ggml's "file:line: GGML_ASSERT(...) failed"), else the signal.
std::string siteOf(const ProbeResult& r) {
  const std::string& d = r.detail;
  for (const char* marker : {"GGML_ASSERT", "GGML_ABORT", "terminate called", "fatal error"}) {
    const size_t at = d.find(marker);
    if (at == std::string::npos) continue;
    const size_t start = d.rfind('\n', at);
    const size_t end = d.find('\n', at);
    std::string line = d.substr(start == std::string::npos ? 0 : start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    if (const size_t src = line.find("/src/"); src != std::string::npos) line = line.substr(src + 1);  // path-independent
    return line;
  }
  // A GGML_ABORT with its own message: its last "file:line: message" line.
  for (size_t end = d.size(); end > 0;) {
    const size_t start = d.rfind('\n', end - 1);
    std::string line = d.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
    if (const size_t src = line.find("/src/"); src != std::string::npos && line.find(':', src) != std::string::npos)
      return line.substr(src + 1);
    if (start == std::string::npos) break;
    end = start;
  }
  return r.kind == ProbeResult::Kind::Timeout ? "timeout" : "signal " + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
}

void recordFinding(const Options& o, uint64_t iteration, const Mutant& m, const std::string& what, const std::string& detail, Tally& tally,
                   const std::string& site) {
  ++tally.findings;
  ++tally.sites[site];
  std::error_code ec;
  fs::create_directories(o.findings, ec);
  const std::string base = o.findings + "/seed" + std::to_string(o.seed) + "-iteration" + std::to_string(iteration);
  std::ofstream(base + ".gguf", std::ios::binary) << m.bytes;
  std::ofstream(base + ".txt") << what << "\nmutations:\n" << indent(m.description, "  ") << "output:\n" << indent(detail, "  ");
  std::printf(
      "FINDING (seed %llu, iteration %llu): %s\n  mutations:\n%s  output:\n%s  file: %s.gguf; replay: tandem_model_fuzz --seed %llu "
      "--replay %llu\n",
      static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(iteration), what.c_str(),
      indent(m.description, "    ").c_str(), indent(detail, "    ").c_str(), base.c_str(), static_cast<unsigned long long>(o.seed),
      static_cast<unsigned long long>(iteration));
  std::fflush(stdout);
}

void runIteration(const Options& o, uint64_t iteration, const std::vector<Seed>& seeds, const fs::path& work, Tally& tally) {
  Rng rng(iterationSeed(o.seed, iteration));
  const Seed& seed = seeds[rng.below(seeds.size())];
  Mutant m = mutate(seed.image, rng);
  m.description = "seed model " + seed.name + "\n" + m.description;
  const std::string path = (work / "mutant.gguf").string();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << m.bytes;
  std::snprintf(g_crashContext, sizeof g_crashContext, "seed %llu, iteration %llu (mutant kept at %s):\n%s",
                static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(iteration), path.c_str(), m.description.c_str());

  try {
    checkModelFile(path, /*requireTensors=*/true);
  } catch (const EngineError& e) {
    ++tally.rejected;
    ++tally.rejectedBy[errorCodeName(e.code())];
    if (o.replay >= 0)
      std::printf("rejected by the check: %s: %s\nmutations:\n%s", errorCodeName(e.code()), e.what(), indent(m.description, "  ").c_str());
    return;
  } catch (const std::exception& e) {
    recordFinding(o, iteration, m, "the check threw a non-EngineError", e.what(), tally, std::string("check threw ") + e.what());
    return;
  }
  ++tally.accepted;
  const ProbeResult r = probeLoad(path, (work / "child.log").string(), o.timeoutMs, 4ull << 30);
  ++tally.probes[r.kind];
  if (r.kind == ProbeResult::Kind::OtherException && !o.quiet) {
    // Not a crash (the addon turns it into an error), but not the EngineError it should be.
    std::printf("note (seed %llu, iteration %llu): the engine threw a non-EngineError: %s\n", static_cast<unsigned long long>(o.seed),
                static_cast<unsigned long long>(iteration), r.detail.c_str());
  }
  if (r.isFinding()) {
    const std::string what = r.kind == ProbeResult::Kind::Timeout ? "the engine hung (killed after " + std::to_string(o.timeoutMs) + " ms)"
                                                                  : std::string("the engine was killed by ") + strsignal(r.signal);
    recordFinding(o, iteration, m, what, r.detail, tally, siteOf(r));
  } else if (o.replay >= 0) {
    std::printf("accepted by the check; engine: %s\n%smutations:\n%s", kindName(r.kind), indent(r.detail, "  ").c_str(),
                indent(m.description, "  ").c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (o.vocabDir.empty()) o.vocabDir = defaultVocabDir();
  setenv("GGML_NO_BACKTRACE", "1", 1);  // ggml would otherwise run gdb on every abort
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, onCrash);
  setLogLevel("none");

  try {
    WorkDir work;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Seed> seeds = makeSeeds(work.path(), o.vocabDir);
    const double setupS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Tally tally;
    const auto t1 = std::chrono::steady_clock::now();
    const uint64_t first = o.replay >= 0 ? static_cast<uint64_t>(o.replay) : 0;
    const uint64_t end = o.replay >= 0 ? first + 1 : o.iterations;
    for (uint64_t i = first; i < end; ++i) {
      try {
        runIteration(o, i, seeds, work.path(), tally);
      } catch (const std::exception& e) {
        throw std::runtime_error("iteration " + std::to_string(i) + ": " + e.what());  // the fuzzer's own bug
      }
      if (!o.quiet && o.replay < 0 && (i + 1) % 1000 == 0) {
        std::printf("... %llu/%llu iterations, %llu findings\n", static_cast<unsigned long long>(i + 1),
                    static_cast<unsigned long long>(o.iterations), static_cast<unsigned long long>(tally.findings));
        std::fflush(stdout);
      }
    }
    const double runS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    const uint64_t n = end - first;
    std::printf("seeds written in %.1f s; %llu iterations in %.1f s (%.1f s per 1000)\n", setupS, static_cast<unsigned long long>(n), runS,
                n ? runS * 1000.0 / static_cast<double>(n) : 0.0);
    std::printf("rejected by the check: %llu", static_cast<unsigned long long>(tally.rejected));
    for (const auto& [code, count] : tally.rejectedBy) std::printf(" %s=%llu", code.c_str(), static_cast<unsigned long long>(count));
    std::printf("\naccepted: %llu:", static_cast<unsigned long long>(tally.accepted));
    for (const auto& [kind, count] : tally.probes) std::printf(" %s=%llu", kindName(kind), static_cast<unsigned long long>(count));
    std::printf("\n");
    for (const auto& [site, count] : tally.sites)
      std::printf("finding site (%llu×): %s\n", static_cast<unsigned long long>(count), site.c_str());
    std::printf("fuzz: %llu iterations, seed %llu, %llu findings\n", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(tally.findings));
    return tally.findings == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem_model_fuzz: %s\n", e.what());
    return 2;
  }
}
