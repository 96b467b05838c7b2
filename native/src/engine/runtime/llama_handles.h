// Owning handles for llama.cpp / ggml / gguf objects (the same idea as llama.cpp's llama-cpp.h):
// every C object the engine creates is freed exactly once, on every path.
#pragma once

#include <memory>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

namespace tandem {

struct LlamaModelDeleter {
  void operator()(llama_model* p) const { llama_model_free(p); }
};
struct LlamaContextDeleter {
  void operator()(llama_context* p) const { llama_free(p); }
};
struct GgufContextDeleter {
  void operator()(gguf_context* p) const { gguf_free(p); }
};
struct GgmlContextDeleter {
  void operator()(ggml_context* p) const { ggml_free(p); }
};

using LlamaModelPtr = std::unique_ptr<llama_model, LlamaModelDeleter>;
using LlamaContextPtr = std::unique_ptr<llama_context, LlamaContextDeleter>;
using GgufContextPtr = std::unique_ptr<gguf_context, GgufContextDeleter>;
using GgmlContextPtr = std::unique_ptr<ggml_context, GgmlContextDeleter>;

// llama_batch is a struct of malloc'ed arrays rather than a pointer, so it gets its own owner.
class LlamaBatch {
 public:
  LlamaBatch(int32_t capacity, int32_t maxSeqIds) : batch_(llama_batch_init(capacity, 0, maxSeqIds)), capacity_(capacity) {}
  ~LlamaBatch() { llama_batch_free(batch_); }
  LlamaBatch(const LlamaBatch&) = delete;
  LlamaBatch& operator=(const LlamaBatch&) = delete;

  void clear() { batch_.n_tokens = 0; }
  void add(llama_token token, llama_pos pos, llama_seq_id seq, bool wantLogits) {
    const int32_t i = batch_.n_tokens++;
    batch_.token[i] = token;
    batch_.pos[i] = pos;
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = seq;
    batch_.logits[i] = wantLogits;
  }
  // A token that belongs to several sequences (tree verification); ids[0] must be one that all
  // of its ancestors carry, because llama builds the attention mask from the first id.
  void addShared(llama_token token, llama_pos pos, const llama_seq_id* ids, int32_t count, bool wantLogits) {
    const int32_t i = batch_.n_tokens++;
    batch_.token[i] = token;
    batch_.pos[i] = pos;
    batch_.n_seq_id[i] = count;
    for (int32_t j = 0; j < count; ++j) batch_.seq_id[i][j] = ids[j];
    batch_.logits[i] = wantLogits;
  }
  int32_t size() const { return batch_.n_tokens; }
  int32_t capacity() const { return capacity_; }
  llama_batch& get() { return batch_; }

 private:
  llama_batch batch_;
  int32_t capacity_;
};

}  // namespace tandem
