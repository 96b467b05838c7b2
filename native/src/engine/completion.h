// A completion request, its result, and the generation loop that produces it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "engine/cancel_flag.h"
#include "engine/inference_context.h"
#include "engine/model.h"

namespace tandem {

using Clock = std::chrono::steady_clock;

struct CompletionRequest {
  std::vector<PromptPart> prompt;
  double maxTokens = 0;  // validated against the context size (1..n_ctx, whole)
  std::vector<std::string> stop;
  double timeBudgetMs = 0;  // 0 = no limit
  Clock::time_point receivedAt = Clock::now();  // firstTokenMs and the time budget count from here
};

enum class StopReason { EndOfGeneration, StopString, MaxTokens, TimeBudget, ContextFull, Cancelled };
const char* stopReasonName(StopReason reason);  // the StopReason strings of native.ts

struct CompletionStats {
  int32_t promptTokens = 0;
  int32_t reusedTokens = 0;
  double prefillMs = 0;
  int32_t generatedTokens = 0;
  double decodeMs = 0;
  double firstTokenMs = 0;
  StopReason stopReason = StopReason::MaxTokens;
};

struct CompletionResult {
  std::string text;
  std::vector<llama_token> tokens;
  CompletionStats stats;
};

// Receives each final piece of text as soon as it is known.
using TextSink = std::function<void(const std::string& piece)>;

// The seam for speculative decoding: chooses the next token(s) to commit. It is called with the
// context holding the committed tokens and the logits after the last of them. Greedy decoding
// returns the argmax; a speculative strategy would verify a draft tree in one llama_decode here
// and return the accepted path (tokens it leaves evaluated in the context are not evaluated again
// by the loop) plus the model's own next token.
class DecodeStrategy {
 public:
  virtual ~DecodeStrategy() = default;
  virtual std::vector<llama_token> nextTokens(InferenceContext& context) = 0;
};

class GreedyStrategy : public DecodeStrategy {
 public:
  std::vector<llama_token> nextTokens(InferenceContext& context) override;
};

// argmax over a logit row; ties go to the lowest id, so results are reproducible.
llama_token argmaxToken(const float* logits, int32_t vocabSize);

// Runs one completion on `context` (the caller's thread must own it). Throws EngineError for
// invalid requests before touching the KV cache.
CompletionResult runCompletion(InferenceContext& context, const CompletionRequest& request, const CancelFlag& cancel,
                               const TextSink& onText, DecodeStrategy& strategy);

}  // namespace tandem
