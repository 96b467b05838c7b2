// Tree verification and cost probes: the InferenceContext members that put several sequences in
// one batch (recipe: shared/facts/llama-cpp.md, "Tree-structured verification").
#include <chrono>

#include "engine/decode/completion.h"
#include "engine/decode/inference_context.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"
#include "engine/speculation/draft_tree.h"

namespace tandem {
TreeVerification InferenceContext::verifyTree(const llama_token* pending, size_t pendingCount, const DraftTree& tree, int32_t k,
                                              llama_token rootPrediction) {
  TreeVerification out;
  const size_t base = evaluated_.size();
  if (pendingCount == 0 && base == 0) throw EngineError(ErrorCode::Internal, "tree verification needs a root token");
  if (base + pendingCount + static_cast<size_t>(k) > static_cast<size_t>(contextSize_)) {
    throw EngineError(ErrorCode::ContextOverflow, "draft tree does not fit in the context");
  }
  if (pendingCount + static_cast<size_t>(k) > static_cast<size_t>(treeBatch_->capacity())) {
    throw EngineError(ErrorCode::Internal, "draft tree larger than the verification batch");
  }

  // Sequence ids: one per leaf; every node carries the ids of all leaves below it.
  std::vector<std::vector<llama_seq_id>> seqs(static_cast<size_t>(k));
  std::vector<uint8_t> hasChild(static_cast<size_t>(k), 0);
  std::vector<int32_t> depth(static_cast<size_t>(k), 1);
  for (int32_t i = 0; i < k; ++i) {
    const int32_t p = tree.nodes[i].parent;
    if (p >= i) throw EngineError(ErrorCode::Internal, "draft tree is not parents-first");
    if (p >= 0) {
      hasChild[p] = 1;
      depth[i] = depth[p] + 1;
    }
  }
  std::vector<llama_seq_id> leaves;
  for (int32_t i = 0; i < k; ++i) {
    if (hasChild[i]) continue;
    const llama_seq_id s = static_cast<llama_seq_id>(1 + leaves.size());
    if (s > kMaxTreeLeaves) throw EngineError(ErrorCode::Internal, "draft tree has too many leaves");
    leaves.push_back(s);
    for (int32_t j = i; j >= 0; j = tree.nodes[j].parent) seqs[j].push_back(s);
  }

  const auto sampleStart = std::chrono::steady_clock::now();
  const int32_t vocab = model_->vocabSize();
  if (pendingCount == 0 && rootPrediction < 0) {
    const float* logits = lastLogits();
    if (!logits) throw EngineError(ErrorCode::Internal, "no logits for the tree root");
    rootPrediction = argmaxToken(logits, vocab);
  }
  out.sampleMs += msSince(sampleStart);

  const llama_pos rootPos = static_cast<llama_pos>(base + pendingCount) - 1;
  llama_memory_t memory = llama_get_memory(ctx_.get());
  for (llama_seq_id s : leaves) llama_memory_seq_cp(memory, 0, s, -1, -1);

  std::vector<llama_seq_id> rootIds{0};
  rootIds.insert(rootIds.end(), leaves.begin(), leaves.end());
  treeBatch_->clear();
  for (size_t i = 0; i < pendingCount; ++i) {
    treeBatch_->addShared(pending[i], static_cast<llama_pos>(base + i), rootIds.data(), static_cast<int32_t>(rootIds.size()),
                          i + 1 == pendingCount);
  }
  for (int32_t i = 0; i < k; ++i) {
    treeBatch_->addShared(tree.nodes[i].token, rootPos + depth[i], seqs[i].data(), static_cast<int32_t>(seqs[i].size()), true);
  }
  {
    std::lock_guard<std::mutex> lock(evaluatedMutex_);
    evaluated_.insert(evaluated_.end(), pending, pending + pendingCount);
  }
  const auto decodeStart = std::chrono::steady_clock::now();
  ScopedLogCapture log;
  const int32_t rc = llama_decode(ctx_.get(), treeBatch_->get());
  out.decodeMs = msSince(decodeStart);
  if (rc != 0) {
    for (llama_seq_id s : leaves) llama_memory_seq_rm(memory, s, -1, -1);
    if (rc == 1) {
      std::lock_guard<std::mutex> lock(evaluatedMutex_);
      evaluated_.resize(base);
    } else {
      syncWithMemory();
    }
    if (rc == 2) {
      out.status = DecodeStatus::Aborted;
      return out;
    }
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal,
                      "llama_decode failed on a draft tree (" + std::to_string(rc) + ")" + (reason.empty() ? "" : ": " + reason));
  }

  // Greedy walk from the root: follow the child whose token is the model's argmax.
  const auto walkStart = std::chrono::steady_clock::now();
  out.predicted.assign(static_cast<size_t>(k) + 1, -1);
  out.predicted[0] =
      pendingCount ? argmaxToken(llama_get_logits_ith(ctx_.get(), static_cast<int32_t>(pendingCount) - 1), vocab) : rootPrediction;
  for (int32_t i = 0; i < k; ++i) {
    out.predicted[static_cast<size_t>(i) + 1] =
        argmaxToken(llama_get_logits_ith(ctx_.get(), static_cast<int32_t>(pendingCount) + i), vocab);
  }
  int32_t cur = -1;
  llama_token want = out.predicted[0];
  for (;;) {
    int32_t found = -1;
    for (int32_t i = cur + 1; i < k; ++i) {
      if (tree.nodes[i].parent == cur && tree.nodes[i].token == want) {
        found = i;
        break;
      }
    }
    if (found < 0) break;
    out.acceptedPath.push_back(found);
    cur = found;
    want = out.predicted[static_cast<size_t>(found) + 1];
  }
  out.next = want;
  out.sampleMs += msSince(walkStart);

  // Keep the accepted path in sequence 0, drop every branch.
  const int32_t m = static_cast<int32_t>(out.acceptedPath.size());
  if (m > 0) llama_memory_seq_cp(memory, seqs[out.acceptedPath.back()][0], 0, rootPos + 1, rootPos + m + 1);
  for (llama_seq_id s : leaves) llama_memory_seq_rm(memory, s, -1, -1);
  {
    std::lock_guard<std::mutex> lock(evaluatedMutex_);
    for (int32_t i : out.acceptedPath) evaluated_.push_back(tree.nodes[i].token);
  }
  return out;
}

double InferenceContext::timeForwardPass(int32_t k) {
  const size_t base = evaluated_.size();
  if (k <= 0 || base + static_cast<size_t>(k) > static_cast<size_t>(contextSize_) || k > treeBatch_->capacity()) return -1;
  llama_memory_t memory = llama_get_memory(ctx_.get());
  llama_memory_seq_rm(memory, kScratchSequence, -1, -1);
  if (base > 0) llama_memory_seq_cp(memory, 0, kScratchSequence, -1, -1);
  const llama_token token = base > 0 ? evaluated_.back() : 0;
  const llama_seq_id id = kScratchSequence;
  treeBatch_->clear();
  for (int32_t i = 0; i < k; ++i) treeBatch_->addShared(token, static_cast<llama_pos>(base + i), &id, 1, true);
  const auto start = std::chrono::steady_clock::now();
  ScopedLogCapture log;
  const int32_t rc = llama_decode(ctx_.get(), treeBatch_->get());
  const double ms = msSince(start);
  llama_memory_seq_rm(memory, kScratchSequence, -1, -1);
  return rc == 0 ? ms : -1;
}

}  // namespace tandem
