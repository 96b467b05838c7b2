// Checks a model file before llama.cpp sees it, so each kind of bad file gets its own error code
// and a message that names the problem (llama.cpp would only say "failed to load model").
#pragma once

#include <cstdint>
#include <string>

namespace tandem {

struct ModelFileSummary {
  uint64_t fileSizeBytes = 0;
  int64_t tensorCount = 0;
  std::string architecture;  // general.architecture, "" when absent
  std::string name;          // general.name, "" when absent
  int32_t fileType = -1;     // general.file_type (llama_ftype), -1 when absent
  std::string dominantTensorType;  // ggml type name of the largest tensor (fallback for fileType)
};

// Throws EngineError with ModelNotFound, ModelIsDirectory, ModelEmpty, ModelNotGguf,
// ModelTruncated or ModelNoTensors.
// requireTensors = false accepts vocabulary-only files (tokenizer-only loads for benchmarks).
ModelFileSummary checkModelFile(const std::string& path, bool requireTensors = true);

// "Q8_0", "F16", … for a llama_ftype value; "" when unknown.
std::string fileTypeName(int32_t fileType);

}  // namespace tandem
