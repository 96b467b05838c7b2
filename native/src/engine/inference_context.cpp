#include "engine/inference_context.h"

#include <algorithm>
#include <thread>

#include "engine/engine_error.h"
#include "engine/llama_runtime.h"
#include "engine/request_validation.h"

namespace tandem {

InferenceContext::InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options) : model_(std::move(model)) {
  const int32_t trained = std::max<int32_t>(model_->info().contextLength, 1);
  contextSize_ = options.contextSize > 0 ? options.contextSize : std::min<int32_t>(4096, trained);
  if (contextSize_ < 8) throw EngineError(ErrorCode::InvalidArgument, "contextSize must be at least 8 tokens, got " + std::to_string(contextSize_));
  const int32_t hardware = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  threads_ = options.threads > 0 ? options.threads : std::min(hardware, 8);
  batchSize_ = options.batchSize > 0 ? options.batchSize : 512;
  batchSize_ = std::min(batchSize_, contextSize_);

  llama_context_params params = llama_context_default_params();
  params.n_ctx = static_cast<uint32_t>(contextSize_);
  params.n_batch = static_cast<uint32_t>(batchSize_);
  params.n_ubatch = static_cast<uint32_t>(batchSize_);
  // Sequence 0 = committed tokens; the others carry draft-tree branches during verification.
  // kv_unified is required for a token to belong to several sequences in one batch.
  params.n_seq_max = kSequenceCount;
  params.kv_unified = true;
  params.n_threads = threads_;
  params.n_threads_batch = threads_;
  // Measured 20–25 % faster off on the target CPUs for small batches (facts/llama-cpp.md).
  params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  params.abort_callback = &InferenceContext::abortRequested;
  params.abort_callback_data = this;
  params.no_perf = true;

  ScopedLogCapture log;
  ctx_.reset(llama_init_from_model(model_->raw(), params));
  if (!ctx_) {
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal, "llama.cpp could not create a context of " + std::to_string(contextSize_) + " tokens" +
                                               (reason.empty() ? "" : ": " + reason));
  }
  // llama may round the cache up; the session still holds to the size it was asked for.
  contextSize_ = std::min<int32_t>(contextSize_, static_cast<int32_t>(llama_n_ctx(ctx_.get())));
  batch_ = std::make_unique<LlamaBatch>(batchSize_, 1);
  treeBatch_ = std::make_unique<LlamaBatch>(std::min(batchSize_, kMaxTreeNodes + 8), kSequenceCount);
}

bool InferenceContext::abortRequested(void* self) {
  auto* me = static_cast<InferenceContext*>(self);
  if (me->shuttingDown_.load(std::memory_order_relaxed)) return true;
  const std::atomic<bool>* flag = me->watched_.load(std::memory_order_relaxed);
  return flag && flag->load(std::memory_order_relaxed);
}

std::vector<llama_token> InferenceContext::evaluatedSnapshot() const {
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  return evaluated_;
}

void InferenceContext::truncate(size_t keep) {
  if (keep >= evaluated_.size()) return;
  llama_memory_t memory = llama_get_memory(ctx_.get());
  if (keep == 0) llama_memory_clear(memory, true);
  else llama_memory_seq_rm(memory, 0, static_cast<llama_pos>(keep), -1);
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  evaluated_.resize(keep);
}

void InferenceContext::syncWithMemory() {
  // After an aborted or failed decode some ubatches may be in memory: trust llama's record.
  llama_memory_t memory = llama_get_memory(ctx_.get());
  const llama_pos maxPos = llama_memory_seq_pos_max(memory, 0);
  const size_t held = maxPos < 0 ? 0 : static_cast<size_t>(maxPos) + 1;
  llama_memory_seq_rm(memory, 0, static_cast<llama_pos>(held), -1);
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  if (held < evaluated_.size()) evaluated_.resize(held);
}

DecodeStatus InferenceContext::append(const llama_token* tokens, size_t count) {
  if (evaluated_.size() + count > static_cast<size_t>(contextSize_)) {
    throw EngineError(ErrorCode::ContextOverflow, std::to_string(evaluated_.size() + count) + " tokens do not fit in the context of " +
                                                      std::to_string(contextSize_));
  }
  size_t done = 0;
  while (done < count) {
    if (abortRequested(this)) return DecodeStatus::Aborted;
    const size_t n = std::min(count - done, static_cast<size_t>(batchSize_));
    const size_t firstPos = evaluated_.size();
    batch_->clear();
    for (size_t i = 0; i < n; ++i) {
      const bool isLast = done + i + 1 == count;
      batch_->add(tokens[done + i], static_cast<llama_pos>(firstPos + i), 0, isLast);
    }
    {
      // Record first, so a partial evaluation can be trimmed back to what llama kept.
      std::lock_guard<std::mutex> lock(evaluatedMutex_);
      evaluated_.insert(evaluated_.end(), tokens + done, tokens + done + n);
    }
    ScopedLogCapture log;
    const int32_t rc = llama_decode(ctx_.get(), batch_->get());
    if (rc != 0) {
      if (rc == 1) {
        std::lock_guard<std::mutex> lock(evaluatedMutex_);
        evaluated_.resize(firstPos);  // nothing of this batch was kept
      } else {
        syncWithMemory();
      }
      if (rc == 2) return DecodeStatus::Aborted;
      const std::string reason = log.summary();
      throw EngineError(ErrorCode::Internal, "llama_decode failed (" + std::to_string(rc) + ")" + (reason.empty() ? "" : ": " + reason));
    }
    done += n;
  }
  return DecodeStatus::Ok;
}

const float* InferenceContext::lastLogits() const { return llama_get_logits_ith(ctx_.get(), -1); }

}  // namespace tandem
