// Writes a random-weight GGUF model with a real tokenizer (copied from a vocab-only GGUF) in
// llama.cpp's qwen2 or llama layout. For tests and benchmarks: it proves mechanics, not quality.
#pragma once

#include <cstdint>
#include <string>

namespace tandem {

struct TestModelSpec {
  std::string arch = "llama";  // "qwen2" | "llama"
  int32_t layers = 2;
  int32_t embd = 64;
  int32_t heads = 4;
  int32_t kvHeads = 2;
  int32_t ffn = 128;
  int32_t contextLength = 2048;
  std::string vocabPath;
  std::string out;
  uint64_t seed = 42;
  std::string type = "f32";  // f32 | f16 | q8_0 | q4_0 (2-D weights; norms and biases stay f32)
};

struct TestModelResult {
  std::string path;
  uint64_t bytes = 0;
  uint64_t parameters = 0;
};

// Throws EngineError (InvalidArgument for a bad spec, Model* for a bad vocab file, Internal for I/O).
TestModelResult writeTestModel(const TestModelSpec& spec);

}  // namespace tandem
