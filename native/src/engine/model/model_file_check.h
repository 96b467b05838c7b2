// Checks a model file before llama.cpp sees it, so each kind of bad file gets its own error code
// and a message that names the problem (llama.cpp would only say "failed to load model").
#pragma once

#include <cstdint>
#include <string>

struct gguf_context;

namespace tandem {

struct ModelFileSummary {
  uint64_t fileSizeBytes = 0;
  int64_t tensorCount = 0;
  std::string architecture;        // general.architecture, "" when absent
  std::string name;                // general.name, "" when absent
  int32_t fileType = -1;           // general.file_type (llama_ftype), -1 when absent
  std::string dominantTensorType;  // ggml type name of the largest tensor (fallback for fileType)
};

// Throws EngineError with InvalidArgument (a NUL in the path), ModelNotFound, ModelIsDirectory,
// ModelEmpty, ModelNotGguf, ModelTruncated, ModelNoTensors or ModelLoadFailed (metadata that
// llama.cpp would abort the process on, see checkModelMetadata).
// requireTensors = false accepts vocabulary-only files (tokenizer-only loads for benchmarks).
ModelFileSummary checkModelFile(const std::string& path, bool requireTensors = true);

// The metadata values llama.cpp trusts: where it asserts (GGML_ASSERT aborts the whole process)
// instead of failing the load, this throws EngineError(ModelLoadFailed) naming the key, its value
// and what it must be. Only values stored with the type llama.cpp reads are judged; a missing key
// or a wrong type is left to llama.cpp, which reports those as a failed load.
// hyperparameters = false: only what a vocabulary-only load reads (the tokenizer).
// `where` names the file in messages.
void checkModelMetadata(const gguf_context* gguf, bool hyperparameters, const std::string& where);

// ggml's TENSOR_ALIGNMENT: a memory-mapped model's tensor data must start at a file offset that
// is a multiple of it, or ggml aborts when it wraps the mapping (ggml-backend.cpp).
constexpr uint64_t kTensorDataAlignment = 32;

// "Q8_0", "F16", … for a llama_ftype value; "" when unknown.
std::string fileTypeName(int32_t fileType);

}  // namespace tandem
