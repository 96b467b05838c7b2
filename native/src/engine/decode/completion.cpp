#include "engine/decode/completion.h"

#include <algorithm>

#include "engine/decode/alternatives.h"
#include "engine/decode/kv_reuse.h"
#include "engine/decode/text_stream.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/request_validation.h"

namespace tandem {
const char* stopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::EndOfGeneration:
      return "eog";
    case StopReason::StopString:
      return "stop";
    case StopReason::MaxTokens:
      return "maxTokens";
    case StopReason::TimeBudget:
      return "timeBudget";
    case StopReason::ContextFull:
      return "contextFull";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "maxTokens";
}

llama_token argmaxToken(const float* logits, int32_t vocabSize) {
  llama_token best = 0;
  for (int32_t i = 1; i < vocabSize; ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

StepResult GreedyStrategy::step(InferenceContext& context, const std::vector<llama_token>& sequence, int32_t) {
  const size_t pending = sequence.size() - context.evaluated().size();
  if (pending > 0 && context.append(sequence.data() + context.evaluated().size(), pending) == DecodeStatus::Aborted) {
    return StepResult{{}, true, {}};
  }
  const float* logits = context.lastLogits();
  if (!logits) throw EngineError(ErrorCode::Internal, "no logits available for the next token");
  StepResult out{{argmaxToken(logits, context.model().vocabSize())}, false, {}};
  if (recordChoices_) out.choices.push_back(topChoices(logits, context.model().vocabSize()));
  return out;
}

namespace {

std::vector<llama_token> tokenizeValidPrompt(const InferenceContext& context, const std::vector<PromptPart>& parts) {
  std::vector<llama_token> prompt = context.model().tokenizePrompt(parts);
  validatePromptLength(prompt.size(), context.contextSize());
  return prompt;
}

// On a CPU a prefill batch of 128 tokens is as fast as one of 512 (0.5B Q4_0, 2 threads: 180 vs 174
// tokens/s), and an aborted llama_decode keeps nothing of its batch: smaller batches keep what a
// cancelled prefill (a pre-warm interrupted by a keystroke) read, for the next request.
constexpr size_t kCpuPrefillBatch = 128;

// The prefill step complete() and prefill() share: keep the longest reusable prefix of the cached
// tokens (after the document switch, which may have restored them), evaluate the rest.
DecodeStatus prefillPrompt(InferenceContext& context, const std::vector<llama_token>& prompt, const CancelFlag& cancel,
                           PrefillExecutor* prefill, CompletionStats& stats) {
  const auto start = Clock::now();
  const size_t reused = reusablePrefixLength(context.evaluated(), prompt);
  context.truncate(reused);
  stats.reusedTokens = static_cast<int32_t>(reused);
  stats.restoredTokens = std::min(stats.restoredTokens, stats.reusedTokens);  // restored and kept
  const bool cpu = context.model().placement().prefill.kind == "cpu";
  const DecodeStatus status = prefill ? prefill->prefill(context, prompt, reused, cancel, stats)
                                      : context.append(prompt.data() + reused, prompt.size() - reused, cpu ? kCpuPrefillBatch : 0);
  stats.prefillMs = msSince(start);
  return status;
}

}  // namespace

PrefillResult runPrefill(InferenceContext& context, const PrefillRequest& request, const CancelFlag& cancel, PrefillExecutor* prefill,
                         const BeforePrefill& beforePrefill) {
  const std::vector<llama_token> prompt = tokenizeValidPrompt(context, request.prompt);
  PrefillResult result;
  result.stats.promptTokens = static_cast<int32_t>(prompt.size());
  ScopedWatch watching(context, cancel);
  result.cancelled = isCancelled(cancel);
  if (result.cancelled) return result;
  if (beforePrefill) beforePrefill(prompt, result.stats);
  result.cancelled = prefillPrompt(context, prompt, cancel, prefill, result.stats) == DecodeStatus::Aborted;
  return result;
}

namespace {

// The greedy completion (speculative strategies give exactly its tokens). With `choices`, the
// strategy records the top choices behind each generated token there.
CompletionResult generate(InferenceContext& context, const CompletionRequest& request, const std::vector<llama_token>& prompt,
                          int32_t maxTokens, const CancelFlag& cancel, const TextSink& onText, DecodeStrategy& strategy,
                          PrefillExecutor* prefill, const BeforePrefill& beforePrefill, std::vector<TokenChoices>* choices) {
  const Model& model = context.model();
  CompletionResult result;
  CompletionStats& stats = result.stats;
  stats.promptTokens = static_cast<int32_t>(prompt.size());
  TextStream stream(request.stop, request.carriedBytes);
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return;
    if (stats.firstTokenMs == 0) stats.firstTokenMs = msSince(request.receivedAt);
    if (onText) onText(piece);
  };
  auto finish = [&](StopReason reason) {
    stats.stopReason = reason;
    if (reason != StopReason::StopString) emit(stream.finish());
    result.text = stream.text();
    result.pendingBytes = stream.pending();
    return result;
  };

  strategy.begin(prompt);
  strategy.recordChoices(choices != nullptr);
  if (isCancelled(cancel)) return finish(StopReason::Cancelled);

  if (beforePrefill) beforePrefill(prompt, stats);
  if (prefillPrompt(context, prompt, cancel, prefill, stats) == DecodeStatus::Aborted) return finish(StopReason::Cancelled);

  // Generation: the committed sequence is prompt + generated; every committed token except the
  // newest is in the context.
  const auto decodeStart = Clock::now();
  std::vector<llama_token> sequence = prompt;
  auto stopWith = [&](StopReason reason) {
    stats.decodeMs = msSince(decodeStart);
    return finish(reason);
  };
  for (;;) {
    const StepResult step = strategy.step(context, sequence, maxTokens - stats.generatedTokens);
    if (step.aborted) return stopWith(StopReason::Cancelled);
    for (size_t i = 0; i < step.tokens.size(); ++i) {
      const llama_token token = step.tokens[i];
      if (choices) choices->push_back(i < step.choices.size() ? step.choices[i] : TokenChoices{});
      result.tokens.push_back(token);
      sequence.push_back(token);
      ++stats.generatedTokens;
      if (model.isEndOfGeneration(token)) return stopWith(StopReason::EndOfGeneration);
      emit(stream.append(model.tokenPiece(token, /*renderSpecial=*/false)));
      if (stream.stopped()) return stopWith(StopReason::StopString);
      if (stats.generatedTokens >= maxTokens) return stopWith(StopReason::MaxTokens);
    }
    if (request.timeBudgetMs > 0 && msSince(request.receivedAt) >= request.timeBudgetMs) return stopWith(StopReason::TimeBudget);
    if (isCancelled(cancel)) return stopWith(StopReason::Cancelled);
    if (sequence.size() > static_cast<size_t>(context.contextSize())) return stopWith(StopReason::ContextFull);
  }
}

}  // namespace

CompletionResult runCompletion(InferenceContext& context, const CompletionRequest& request, const CancelFlag& cancel,
                               const TextSink& onText, DecodeStrategy& strategy, PrefillExecutor* prefill,
                               const BeforePrefill& beforePrefill) {
  const int32_t maxTokens = validateMaxTokens(request.maxTokens, context.contextSize());
  validateTimeBudget(request.timeBudgetMs);
  const int32_t alternatives = validateCount("alternatives", request.alternatives, 0, kMaxAlternatives);
  const std::vector<llama_token> prompt = tokenizeValidPrompt(context, request.prompt);

  ScopedWatch watching(context, cancel);  // the alternatives' decodes too
  std::vector<TokenChoices> choices;
  CompletionResult result = generate(context, request, prompt, maxTokens, cancel, onText, strategy, prefill, beforePrefill,
                                     alternatives > 0 ? &choices : nullptr);
  if (alternatives == 0) return result;
  result.alternatives.emplace();
  if (result.stats.stopReason == StopReason::Cancelled) return result;
  AlternativesOutcome outcome = decodeAlternatives(context, request, alternatives, maxTokens, cancel, prompt, result, choices);
  result.alternatives = std::move(outcome.texts);
  result.stats.alternativesMs = outcome.ms;
  result.stats.alternativeTokens = outcome.tokens;
  return result;
}

}  // namespace tandem
