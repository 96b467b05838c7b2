// A loaded model: weights, vocabulary and the facts about it the extension shows.
// Shared (std::shared_ptr) by every session that uses it, so the weights outlive them all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/placement/device_selection.h"
#include "engine/runtime/cancel_flag.h"
#include "engine/runtime/llama_handles.h"

namespace tandem {

struct FimTokens {
  llama_token prefix = -1, suffix = -1, middle = -1, pad = -1, repo = -1, sep = -1;
};

struct ModelInfo {
  std::string path;
  std::string architecture;
  std::string name;
  std::string description;
  std::string quantization;
  uint64_t fileSizeBytes = 0;
  uint64_t sizeBytes = 0;
  uint64_t parameters = 0;
  int32_t contextLength = 0;
  int32_t embeddingLength = 0;
  int32_t layers = 0;
  int32_t vocabSize = 0;
  llama_token bos = -1, eos = -1, eot = -1;
  bool addBos = false;  // the model expects BOS at the start of a prompt
  FimTokens fim;
  std::string fimPrefixText, fimSuffixText, fimMiddleText;
  std::optional<std::string> chatTemplate;
  Placement placement;  // where each phase runs (device_selection.h)
};

struct ModelLoadOptions {
  // Layers on the decode device when it is a GPU/NPU (unset: all). Set to 0 with no device
  // request: CPU only (the meaning it had before devices could be chosen).
  std::optional<int32_t> gpuLayers;
  // Per phase: auto | cpu | gpu | npu | a device name. Unset: auto.
  std::optional<std::string> prefillDevice, decodeDevice;
  // Forced strategy (tests, diagnostics); Auto lets the devices decide.
  PlacementStrategy strategy = PlacementStrategy::Auto;
  // Threads of the measurements that 'auto' makes when accelerators are present (0 = default).
  int32_t threads = 0;
  bool useMmap = true;
  bool vocabOnly = false;  // tokenizer only (no weights: cannot generate)
  // Called on the loading thread with 0..1.
  std::function<void(float)> onProgress;
  CancelFlag cancel;  // set → loading stops and load() throws Aborted
};

// A part of a prompt (see PromptPart in native.ts).
struct PromptPart {
  enum class Kind { Text, Token, SpecialText };
  Kind kind = Kind::Text;
  std::string text;
  llama_token token = -1;
};

class Model {
 public:
  // Checks the file, then loads it. Throws EngineError (Model*, Aborted).
  static std::shared_ptr<Model> load(const std::string& path, const ModelLoadOptions& options);

  const ModelInfo& info() const { return info_; }
  const Placement& placement() const { return info_.placement; }
  // The decode/verify instance (the only one unless the placement hands over).
  llama_model* raw() const { return model_.get(); }
  // The prefill instance of a handover placement (on the prefill device); nullptr otherwise.
  llama_model* prefillRaw() const { return prefillModel_.get(); }
  const llama_vocab* vocab() const { return vocab_; }
  int32_t vocabSize() const { return info_.vocabSize; }
  bool isEndOfGeneration(llama_token token) const;

  // Throws InvalidUtf8 for malformed text.
  std::vector<llama_token> tokenize(std::string_view text, bool addSpecial, bool parseSpecial) const;
  // Throws InvalidArgument for a token id outside the vocabulary.
  std::vector<llama_token> tokenizePrompt(const std::vector<PromptPart>& parts) const;
  std::string tokenPiece(llama_token token, bool renderSpecial) const;
  std::string detokenize(const std::vector<llama_token>& tokens, bool renderSpecial) const;

  void checkTokenId(llama_token token) const;

 private:
  Model() = default;
  LlamaModelPtr model_;
  LlamaModelPtr prefillModel_;
  const llama_vocab* vocab_ = nullptr;
  ModelInfo info_;
};

}  // namespace tandem
