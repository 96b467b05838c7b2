// A llama_context plus the list of tokens whose KV entries it holds (sequence 0), kept exact on
// every path — success, abort, failure — so the next request can reuse the longest common
// prefix. Used only by its session's thread (except evaluatedSnapshot()).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/cancel_flag.h"
#include "engine/runtime/llama_handles.h"

namespace tandem {

struct ContextOptions {
  int32_t contextSize = 0;  // 0 = min(4096, training context)
  int32_t threads = 0;      // 0 = hardware threads, at most 8
  int32_t batchSize = 0;    // 0 = 512
};

// Which model instance a context runs: the decode/verify one (always there) or the prefill one of
// a handover placement (model.prefillRaw()).
enum class ContextRole { Decode, Prefill };

enum class DecodeStatus { Ok, Aborted };

// Tree verification: sequence 0 holds the committed tokens, sequences 1..kMaxTreeLeaves the
// branches of a draft tree during one llama_decode; the last id is scratch for cost probes.
constexpr int32_t kMaxTreeLeaves = 14;
constexpr int32_t kScratchSequence = kMaxTreeLeaves + 1;
constexpr int32_t kSequenceCount = kMaxTreeLeaves + 2;
constexpr int32_t kMaxTreeNodes = 128;

struct DraftTree;

struct TreeVerification {
  DecodeStatus status = DecodeStatus::Ok;
  std::vector<int32_t> acceptedPath;   // tree node indices, root side first
  std::vector<llama_token> predicted;  // argmax after the root ([0]) and after each node ([i+1])
  llama_token next = -1;               // the model's own token after the accepted path
  double decodeMs = 0, sampleMs = 0;
};

class InferenceContext {
 public:
  InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options, ContextRole role = ContextRole::Decode);

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
  // evaluate stay, the rest are dropped. Throws ContextOverflow / Internal. `maxBatch` (0 = the
  // context's batch size) caps the tokens per llama_decode: an abort keeps every finished batch.
  DecodeStatus append(const llama_token* tokens, size_t count, size_t maxBatch = 0);
  // The logits of the last evaluated token: llama's own, or ones adopted from another context that
  // evaluated the same sequence (KV hand-over) until this context evaluates anything itself.
  const float* lastLogits() const;
  void adoptLogits(std::vector<float> logits);

  // KV hand-over (kv_handover.h): the KV entries of committed positions [from, to) in llama's
  // sequence-state format, and the reverse — appending entries exported by another context of the
  // same model for `tokens`, which must start at evaluated().size(). Throws Internal when llama
  // refuses (no room, a different model or cache type).
  std::vector<uint8_t> exportKv(size_t from, size_t to);
  void importKv(const std::vector<uint8_t>& state, const llama_token* tokens, size_t count);

  // Per-document KV (Session::switchDocument): all of sequence 0 in the same format, and the
  // reverse — replacing everything the context holds by a saved sequence 0 for `tokens`. A restore
  // that llama refuses leaves the context empty (and says so: Internal), never half-filled.
  size_t sequenceStateSize() const;
  std::vector<uint8_t> saveSequence() const;
  void restoreSequence(const std::vector<uint8_t>& state, const std::vector<llama_token>& tokens);

  // Evaluates the pending tokens (committed, not yet in the cache; the last one is the tree's
  // root — with none pending the root is the last evaluated token and its logits must be current)
  // and the first k nodes of `tree` in ONE llama_decode, walks the tree greedily and keeps exactly
  // the pending tokens + the accepted path in sequence 0; every branch is removed again.
  // (tree_verify.cpp)
  // rootPrediction: the argmax after the root when none is pending (-1: read lastLogits()).
  TreeVerification verifyTree(const llama_token* pending, size_t pendingCount, const DraftTree& tree, int32_t k,
                              llama_token rootPrediction = -1);
  // Time of one forward pass of k tokens at the current depth, logits for all of them, in a scratch
  // sequence that is removed afterwards; < 0 when aborted.
  double timeForwardPass(int32_t k);

  // The abort callback watches this flag during llama_decode (nullptr = none).
  void watch(const std::atomic<bool>* cancel) { watched_.store(cancel); }
  // Aborts whatever is running and every later decode.
  void shutdown() { shuttingDown_.store(true); }
  bool shuttingDown() const { return shuttingDown_.load(); }

 private:
  static bool abortRequested(void* self);
  void syncWithMemory();

  std::shared_ptr<const Model> model_;
  ContextRole role_ = ContextRole::Decode;
  LlamaContextPtr ctx_;
  std::vector<float> adoptedLogits_;  // valid while adoptedAt_ == evaluated_.size()
  size_t adoptedAt_ = SIZE_MAX;
  int32_t contextSize_ = 0;
  int32_t batchSize_ = 0;
  int32_t threads_ = 0;
  std::unique_ptr<LlamaBatch> batch_;
  std::unique_ptr<LlamaBatch> treeBatch_;
  std::vector<llama_token> evaluated_;
  mutable std::mutex evaluatedMutex_;  // guards evaluated_ against evaluatedSnapshot() readers
  std::atomic<const std::atomic<bool>*> watched_{nullptr};
  std::atomic<bool> shuttingDown_{false};
};

// Makes a context's abort callback watch a request's flag for as long as it lives, and clears it
// however the request ends.
class ScopedWatch {
 public:
  ScopedWatch(InferenceContext& context, const CancelFlag& cancel) : context_(context) { context_.watch(cancel.get()); }
  ~ScopedWatch() { context_.watch(nullptr); }
  ScopedWatch(const ScopedWatch&) = delete;
  ScopedWatch& operator=(const ScopedWatch&) = delete;

 private:
  InferenceContext& context_;
};

}  // namespace tandem
