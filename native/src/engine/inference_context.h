// A llama_context plus the list of tokens whose KV entries it holds (sequence 0), kept exact on
// every path — success, abort, failure — so the next request can reuse the longest common
// prefix. Used only by its session's thread (except evaluatedSnapshot()).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/llama_handles.h"
#include "engine/model.h"

namespace tandem {

struct ContextOptions {
  int32_t contextSize = 0;  // 0 = min(4096, training context)
  int32_t threads = 0;      // 0 = hardware threads, at most 8
  int32_t batchSize = 0;    // 0 = 512
};

enum class DecodeStatus { Ok, Aborted };

class InferenceContext {
 public:
  InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options);

  const Model& model() const { return *model_; }
  llama_context* raw() const { return ctx_.get(); }
  int32_t contextSize() const { return contextSize_; }
  int32_t batchSize() const { return batchSize_; }
  int32_t threads() const { return threads_; }

  const std::vector<llama_token>& evaluated() const { return evaluated_; }
  std::vector<llama_token> evaluatedSnapshot() const;  // safe from any thread

  // Forgets KV entries from position `keep` on.
  void truncate(size_t keep);
  void clear() { truncate(0); }

  // Evaluates `tokens` after the ones already held, in batches; afterwards lastLogits() belongs to
  // the last of them. Aborted when the watched flag is set (or on shutdown): the tokens llama did
  // evaluate stay, the rest are dropped. Throws ContextOverflow / Internal.
  DecodeStatus append(const llama_token* tokens, size_t count);
  const float* lastLogits() const;

  // The abort callback watches this flag during llama_decode (nullptr = none).
  void watch(const std::atomic<bool>* cancel) { watched_.store(cancel); }
  // Aborts whatever is running and every later decode.
  void shutdown() { shuttingDown_.store(true); }
  bool shuttingDown() const { return shuttingDown_.load(); }

 private:
  static bool abortRequested(void* self);
  void syncWithMemory();

  std::shared_ptr<const Model> model_;
  LlamaContextPtr ctx_;
  int32_t contextSize_ = 0;
  int32_t batchSize_ = 0;
  int32_t threads_ = 0;
  std::unique_ptr<LlamaBatch> batch_;
  std::vector<llama_token> evaluated_;
  mutable std::mutex evaluatedMutex_;  // guards evaluated_ against evaluatedSnapshot() readers
  std::atomic<const std::atomic<bool>*> watched_{nullptr};
  std::atomic<bool> shuttingDown_{false};
};

}  // namespace tandem
