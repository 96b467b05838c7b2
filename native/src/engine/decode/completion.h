// A completion request, its result, and the generation loop that produces it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/decode/document_kv_store.h"
#include "engine/decode/inference_context.h"
#include "engine/decode/token_choices.h"
#include "engine/model/model.h"
#include "engine/runtime/cancel_flag.h"
#include "engine/speculation/draft_corpus.h"
#include "engine/speculation/speculation_stats.h"

namespace tandem {

using Clock = std::chrono::steady_clock;

// What prefill() takes; complete() takes the same and more.
struct PrefillRequest {
  std::vector<PromptPart> prompt;
  // The document this prompt is for: the session keeps the KV of the last few documents and
  // restores a document's KV when its key comes back (Session::switchDocument). Empty = none.
  std::string kvKey;
  // The draft corpus as the editor lists it now; nullopt = unchanged since the last request.
  std::optional<std::vector<DocumentInput>> documents;
  // Pre-warm only: keep what the context holds for this key as saved KV, so a completion that
  // still needs it (the pre-warm was for a prompt that may not be used) restores it.
  bool keepCached = false;
};

struct CompletionRequest : PrefillRequest {
  double maxTokens = 0;  // validated against the context size (1..n_ctx, whole)
  std::vector<std::string> stop;
  double timeBudgetMs = 0;                      // 0 = no limit
  Clock::time_point receivedAt = Clock::now();  // firstTokenMs and the time budget count from here
  SpeculationMode speculation = SpeculationMode::Off;
  // The start of a UTF-8 character that an earlier, interrupted decode of the same text left
  // unfinished (its CompletionResult::pendingBytes): the stream continues from it.
  std::string carriedBytes;
  // Other completions wanted besides the greedy one (0..kMaxAlternatives, whole; alternatives.h):
  // decoded after the greedy result is complete, which they leave exactly as it would be without.
  double alternatives = 0;
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
  // Device per phase (ggml device names) and how this request's prefill reached the decode
  // context: 'single' | 'op-offload' | 'handover' (set by the session).
  std::string prefillDevice, decodeDevice, placement;
  // KV hand-over (placement 'handover' only): state moved, time spent moving it, chunks.
  double handoverMs = 0;
  int64_t handoverBytes = 0;
  int32_t handoverChunks = 0;
  // Per-document KV (set by the session): reused prompt tokens whose KV came from the document
  // store, time spent saving and restoring, and the store after this request.
  int32_t restoredTokens = 0;
  double kvSwitchMs = 0;
  DocumentKvStats documentKv;
  // Alternatives (asked for only): time spent on them after the greedy result, and the tokens they
  // generated past their greedy prefix (those of alternatives dropped as duplicates included).
  double alternativesMs = 0;
  int32_t alternativeTokens = 0;
};

struct CompletionResult {
  std::string text;
  std::vector<llama_token> tokens;
  // Generation ended inside a UTF-8 character (a token holds only its first bytes): those bytes,
  // not in `text`. A resumed decode passes them back as carriedBytes; nobody sees a broken "\uFFFD".
  std::string pendingBytes;
  CompletionStats stats;
  std::optional<SpeculationStats> speculation;  // present when a speculative mode ran
  // Present when the request asked for alternatives: other completions, most likely first, each
  // different from the greedy text and from one another in what they show; the greedy text is not
  // repeated. Fewer than asked (or none) when the model offered no more, or the request was
  // cancelled or ran out of time.
  std::optional<std::vector<std::string>> alternatives;
};

// Receives each final piece of text as soon as it is known.
using TextSink = std::function<void(const std::string& piece)>;

// The seam for speculative decoding: produces the next committed token(s). Called with the
// committed sequence (prompt + generated); the context holds all of it except the `pending`
// newest tokens (none right after prefill, when the logits of the last prompt token are current;
// one afterwards). Greedy evaluates the pending token and returns the argmax; a speculative
// strategy evaluates the pending token together with a draft tree in one llama_decode and returns
// the accepted path plus the model's own next token. Tokens it leaves evaluated in the context
// are not evaluated again. The loop commits the returned tokens one by one with every stop check,
// so an accepted draft ends exactly where greedy decoding would.
struct StepResult {
  std::vector<llama_token> tokens;
  bool aborted = false;  // cancelled inside llama_decode
  // With recordChoices on: the top choices of the logit row each token was picked from, one per
  // token (alternatives.h branches on them).
  std::vector<TokenChoices> choices;
};

class DecodeStrategy {
 public:
  virtual ~DecodeStrategy() = default;
  // A new request, after its prompt was tokenized and validated.
  virtual void begin(const std::vector<llama_token>& /*prompt*/) {}
  // remaining: tokens the request may still generate (≥ 1).
  virtual StepResult step(InferenceContext& context, const std::vector<llama_token>& sequence, int32_t remaining) = 0;
  // Set for each request: whether step() fills StepResult::choices (a request asking for
  // alternatives). Off, it costs nothing.
  virtual void recordChoices(bool on) { recordChoices_ = on; }

 protected:
  bool recordChoices_ = false;
};

class GreedyStrategy : public DecodeStrategy {
 public:
  StepResult step(InferenceContext& context, const std::vector<llama_token>& sequence, int32_t remaining) override;
};

// argmax over a logit row; ties go to the lowest id, so results are reproducible.
llama_token argmaxToken(const float* logits, int32_t vocabSize);

// Evaluates the new prompt tokens somewhere else than the decode context (the 'handover'
// placement, kv_handover.h) and leaves the decode context holding the whole prompt with the last
// token's logits current. Called with the decode context holding exactly prompt[0..reused).
class PrefillExecutor {
 public:
  virtual ~PrefillExecutor() = default;
  virtual DecodeStatus prefill(InferenceContext& decode, const std::vector<llama_token>& prompt, size_t reused, const CancelFlag& cancel,
                               CompletionStats& stats) = 0;
};

// Called once the prompt is tokenized and validated and the request was not cancelled, right
// before prefix reuse is computed: the session's per-document KV switch (it may replace what the
// context holds and fills restoredTokens / kvSwitchMs).
using BeforePrefill = std::function<void(const std::vector<llama_token>& prompt, CompletionStats& stats)>;

// Runs one completion on `context` (the caller's thread must own it). Throws EngineError for
// invalid requests before touching the KV cache. `prefill` (optional) evaluates the prompt instead
// of `context` itself. Alternatives asked for are decoded once the greedy result is complete
// (alternatives.h).
CompletionResult runCompletion(InferenceContext& context, const CompletionRequest& request, const CancelFlag& cancel,
                               const TextSink& onText, DecodeStrategy& strategy, PrefillExecutor* prefill = nullptr,
                               const BeforePrefill& beforePrefill = {});

// A prefill-only request (pre-warming the cache for a completion that will follow): the prompt is
// evaluated exactly as runCompletion would, nothing is generated.
struct PrefillResult {
  CompletionStats stats;   // the prompt and prefill figures; nothing generated
  bool cancelled = false;  // stopped early: the tokens evaluated so far stay in the cache
};
PrefillResult runPrefill(InferenceContext& context, const PrefillRequest& request, const CancelFlag& cancel,
                         PrefillExecutor* prefill = nullptr, const BeforePrefill& beforePrefill = {});

}  // namespace tandem
