#include "engine/decode/inference_context.h"

#include <algorithm>
#include <thread>

#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"
#include "engine/runtime/request_validation.h"

namespace tandem {

namespace {
// The sequence a hand-over passes through: the prefill context has only seq 0 and this one; the
// decode context borrows its cost-probe scratch sequence (never in use during a prefill).
llama_seq_id handoverSequence(ContextRole role) { return role == ContextRole::Prefill ? 1 : kScratchSequence; }
}  // namespace

InferenceContext::InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options, ContextRole role)
    : model_(std::move(model)), role_(role) {
  llama_model* instance = role == ContextRole::Prefill ? model_->prefillRaw() : model_->raw();
  if (!instance) throw EngineError(ErrorCode::Internal, "the model has no prefill instance (its placement does not hand over)");
  const int32_t trained = std::max<int32_t>(model_->info().contextLength, 1);
  contextSize_ = options.contextSize > 0 ? options.contextSize : std::min<int32_t>(4096, trained);
  // A decode context verifies draft trees on kSequenceCount sequences, and llama.cpp needs a batch
  // (at most the context) with room for an output per sequence.
  const int32_t minimum = role == ContextRole::Prefill ? 8 : kSequenceCount;
  if (contextSize_ < minimum) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "contextSize must be at least " + std::to_string(minimum) + " tokens, got " + std::to_string(contextSize_));
  }
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
  // The prefill context of a hand-over needs seq 0 and the hand-over sequence only (static-shape
  // NPUs accept a single KV stream, which kv_unified keeps).
  params.n_seq_max = role == ContextRole::Prefill ? 2 : kSequenceCount;
  params.kv_unified = true;
  params.n_threads = threads_;
  params.n_threads_batch = threads_;
  // Measured 20–25 % faster off on the target CPUs for small batches (facts/llama-cpp.md).
  params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  params.abort_callback = &InferenceContext::abortRequested;
  params.abort_callback_data = this;
  params.no_perf = true;

  ScopedLogCapture log;
  // op_offload stays llama's default (on): it only acts when the model instance has host-resident
  // weights and an accelerator in its device list, i.e. the 'op-offload' placement.
  ctx_.reset(llama_init_from_model(instance, params));
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
  const std::atomic<bool>* flag = me->watched_.load(std::memory_order_relaxed);
  const bool abort = me->shuttingDown_.load(std::memory_order_relaxed) || (flag && flag->load(std::memory_order_relaxed));
  if (abort) noteDeliberateAbort();  // the error lines llama prints about it are expected
  return abort;
}

std::vector<llama_token> InferenceContext::evaluatedSnapshot() const {
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  return evaluated_;
}

void InferenceContext::truncate(size_t keep) {
  if (keep >= evaluated_.size()) return;
  adoptedAt_ = SIZE_MAX;
  llama_memory_t memory = llama_get_memory(ctx_.get());
  if (keep == 0)
    llama_memory_clear(memory, true);
  else
    llama_memory_seq_rm(memory, 0, static_cast<llama_pos>(keep), -1);
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

DecodeStatus InferenceContext::append(const llama_token* tokens, size_t count, size_t maxBatch) {
  if (evaluated_.size() + count > static_cast<size_t>(contextSize_)) {
    throw EngineError(ErrorCode::ContextOverflow,
                      std::to_string(evaluated_.size() + count) + " tokens do not fit in the context of " + std::to_string(contextSize_));
  }
  size_t done = 0;
  if (count > 0) adoptedAt_ = SIZE_MAX;
  while (done < count) {
    if (abortRequested(this)) return DecodeStatus::Aborted;
    const size_t batch = maxBatch > 0 ? std::min(maxBatch, static_cast<size_t>(batchSize_)) : static_cast<size_t>(batchSize_);
    const size_t n = std::min(count - done, batch);
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

const float* InferenceContext::lastLogits() const {
  if (adoptedAt_ == evaluated_.size() && !adoptedLogits_.empty()) return adoptedLogits_.data();
  return llama_get_logits_ith(ctx_.get(), -1);
}

void InferenceContext::adoptLogits(std::vector<float> logits) {
  if (logits.size() != static_cast<size_t>(model_->vocabSize()))
    throw EngineError(ErrorCode::Internal, "adopted logits have the wrong size");
  adoptedLogits_ = std::move(logits);
  adoptedAt_ = evaluated_.size();
}

std::vector<uint8_t> InferenceContext::exportKv(size_t from, size_t to) {
  if (from > to || to > evaluated_.size()) throw EngineError(ErrorCode::Internal, "KV export range outside the evaluated tokens");
  llama_memory_t memory = llama_get_memory(ctx_.get());
  const llama_seq_id through = handoverSequence(role_);
  // Tag the range with the hand-over sequence (kv_unified: the cells are shared, no copy), save
  // that sequence alone, untag.
  llama_memory_seq_rm(memory, through, -1, -1);
  llama_memory_seq_cp(memory, 0, through, static_cast<llama_pos>(from), static_cast<llama_pos>(to));
  std::vector<uint8_t> state(llama_state_seq_get_size(ctx_.get(), through));
  ScopedLogCapture log;
  const size_t written = state.empty() ? 0 : llama_state_seq_get_data(ctx_.get(), state.data(), state.size(), through);
  llama_memory_seq_rm(memory, through, -1, -1);
  if (written == 0) {
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal, "could not export the KV cache" + (reason.empty() ? "" : ": " + reason));
  }
  state.resize(written);
  return state;
}

void InferenceContext::importKv(const std::vector<uint8_t>& state, const llama_token* tokens, size_t count) {
  const size_t base = evaluated_.size();
  if (base + count > static_cast<size_t>(contextSize_)) {
    throw EngineError(ErrorCode::ContextOverflow,
                      std::to_string(base + count) + " tokens do not fit in the context of " + std::to_string(contextSize_));
  }
  llama_memory_t memory = llama_get_memory(ctx_.get());
  const llama_seq_id through = handoverSequence(role_);
  ScopedLogCapture log;
  const size_t read = llama_state_seq_set_data(ctx_.get(), state.data(), state.size(), through);
  const llama_pos first = llama_memory_seq_pos_min(memory, through);
  const llama_pos last = llama_memory_seq_pos_max(memory, through);
  const bool placed = read > 0 && first == static_cast<llama_pos>(base) && last == static_cast<llama_pos>(base + count) - 1;
  if (placed) llama_memory_seq_cp(memory, through, 0, -1, -1);
  llama_memory_seq_rm(memory, through, -1, -1);
  if (!placed) {
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal, "could not import the KV cache for positions " + std::to_string(base) + ".." +
                                               std::to_string(base + count) + (reason.empty() ? "" : ": " + reason));
  }
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  evaluated_.insert(evaluated_.end(), tokens, tokens + count);
  adoptedAt_ = SIZE_MAX;
}

size_t InferenceContext::sequenceStateSize() const { return llama_state_seq_get_size(ctx_.get(), 0); }

std::vector<uint8_t> InferenceContext::saveSequence() const {
  std::vector<uint8_t> state(sequenceStateSize());
  ScopedLogCapture log;
  const size_t written = state.empty() ? 0 : llama_state_seq_get_data(ctx_.get(), state.data(), state.size(), 0);
  if (written == 0) {
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal, "could not save the KV cache" + (reason.empty() ? "" : ": " + reason));
  }
  state.resize(written);
  return state;
}

void InferenceContext::restoreSequence(const std::vector<uint8_t>& state, const std::vector<llama_token>& tokens) {
  if (tokens.size() > static_cast<size_t>(contextSize_)) {
    throw EngineError(ErrorCode::ContextOverflow,
                      std::to_string(tokens.size()) + " tokens do not fit in the context of " + std::to_string(contextSize_));
  }
  // Empty first (memory and list together): whatever happens next, the list stays exact.
  llama_memory_t memory = llama_get_memory(ctx_.get());
  llama_memory_clear(memory, true);
  adoptedAt_ = SIZE_MAX;
  {
    std::lock_guard<std::mutex> lock(evaluatedMutex_);
    evaluated_.clear();
  }
  ScopedLogCapture log;
  const size_t read = state.empty() ? 0 : llama_state_seq_set_data(ctx_.get(), state.data(), state.size(), 0);
  const bool placed = read > 0 && !tokens.empty() && llama_memory_seq_pos_min(memory, 0) == 0 &&
                      llama_memory_seq_pos_max(memory, 0) == static_cast<llama_pos>(tokens.size()) - 1;
  if (!placed) {
    llama_memory_clear(memory, true);
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::Internal, "could not restore a saved KV cache of " + std::to_string(tokens.size()) + " tokens" +
                                               (reason.empty() ? "" : ": " + reason));
  }
  std::lock_guard<std::mutex> lock(evaluatedMutex_);
  evaluated_ = tokens;
}

}  // namespace tandem
