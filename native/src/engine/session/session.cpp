#include "engine/session/session.h"

#include <cstdlib>
#include <thread>

#include "engine/decode/kv_reuse.h"
#include "engine/placement/kv_handover.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/speculation/ngram_drafters.h"
#include "engine/speculation/pld_drafter.h"
#include "engine/speculation/sam_drafter.h"
#include "engine/speculation/speculative_strategy.h"

namespace tandem {

std::unique_ptr<Drafter> makeDrafter(SpeculationMode mode) {
  switch (mode) {
    case SpeculationMode::Off:
      return nullptr;
    case SpeculationMode::Pld:
      return std::make_unique<PldDrafter>();
    case SpeculationMode::Sam: {
      SamDrafterOptions o;
      o.tree = false;
      o.calibrate = false;
      o.extend = false;
      o.alignCursor = false;
      return std::make_unique<SamDrafter>(o);
    }
    case SpeculationMode::Auto:
      return std::make_unique<SamDrafter>(SamDrafterOptions{});
    default:
      return makeNgramDrafter(mode);
  }
}

// The prefill side of a 'handover' placement: a context on the prefill model instance. On a
// static-shape device (OpenVINO NPU) the first evaluation of each shape compiles a graph, which can
// take seconds, so the context is created and both shapes (a full chunk, one token) are evaluated
// once on a warm-up thread right after the session is made. Until it is ready, requests prefill on
// the decode context (nothing waits for the compiler); then the session thread owns it.
// TANDEM_PREFILL_WARMUP=background|sync overrides the choice (diagnostics, tests).
class HandoverPrefill : public PrefillExecutor {
 public:
  HandoverPrefill(std::shared_ptr<const Model> model, ContextOptions options, int32_t decodeBatch) {
    const int32_t staticChunk = model->placement().staticPrefillChunk;
    // Chunk = the batch the decode context would use, so KV comes out exactly as if it had
    // prefilled itself; a static-shape device gets its compiled shape instead.
    chunk_ = staticChunk > 0 ? staticChunk : decodeBatch;
    options.batchSize = chunk_;
    bool background = staticChunk > 0;
    if (const char* mode = std::getenv("TANDEM_PREFILL_WARMUP")) {
      if (std::string(mode) == "background") background = true;
      if (std::string(mode) == "sync") background = false;
    }
    auto build = [this, model, options, staticChunk] {
      auto context = std::make_unique<InferenceContext>(model, options, ContextRole::Prefill);
      context->watch(&stop_);
      if (staticChunk > 0) warm(*context);
      context->watch(nullptr);
      context_ = std::move(context);
    };
    if (!background) {
      build();
      ready_.store(true, std::memory_order_release);
      return;
    }
    warmup_ = std::thread([this, build] {
      try {
        build();
        ready_.store(true, std::memory_order_release);
      } catch (...) {
        // never ready: requests keep prefilling on the decode context
      }
    });
  }
  ~HandoverPrefill() override { stop(); }

  void stop() {
    stop_.store(true);
    if (ready_.load(std::memory_order_acquire) && context_) context_->shutdown();
    if (warmup_.joinable()) warmup_.join();
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

  DecodeStatus prefill(InferenceContext& decode, const std::vector<llama_token>& prompt, size_t reused, const CancelFlag& cancel,
                       CompletionStats& stats) override {
    const HandoverReport r = prefillWithHandover(*context_, decode, prompt, reused, chunk_, cancel);
    stats.handoverMs = r.transferMs;
    stats.handoverBytes = r.bytes;
    stats.handoverChunks = r.chunks;
    return r.status;
  }

 private:
  // Compiles the prefill shape (a full chunk) and the one-token shape, then forgets them.
  void warm(InferenceContext& context) {
    std::vector<llama_token> tokens(static_cast<size_t>(chunk_), std::max<llama_token>(0, context.model().info().bos));
    if (context.append(tokens.data(), static_cast<size_t>(chunk_)) == DecodeStatus::Ok) context.append(tokens.data(), 1);
    context.clear();
  }

  int32_t chunk_ = 512;
  std::unique_ptr<InferenceContext> context_;
  std::atomic<bool> ready_{false}, stop_{false};
  std::thread warmup_;
};

Session::Session(std::shared_ptr<const Model> model, const ContextOptions& options, const DocumentKvLimits& documentKv)
    : context_(std::make_unique<InferenceContext>(model, options)), documents_(documentKv) {
  if (model->prefillRaw()) handover_ = std::make_unique<HandoverPrefill>(model, options, context_->batchSize());
}

Session::~Session() { shutdown(); }

void Session::notePlacement(CompletionStats& stats, bool handedOver) const {
  const Placement& p = context_->model().placement();
  stats.decodeDevice = p.decode.name;
  if (p.strategy == PlacementStrategy::Handover && !handedOver) {
    stats.prefillDevice = p.decode.name;  // the prefill device is still warming up
    stats.placement = placementStrategyName(PlacementStrategy::Single);
  } else {
    stats.prefillDevice = p.prefill.name;
    stats.placement = placementStrategyName(p.strategy);
  }
}

Drafter& Session::drafterFor(SpeculationMode mode) {
  auto& slot = drafters_[mode];
  if (!slot) slot = makeDrafter(mode);
  return *slot;
}

CorpusUpdate Session::updateCorpus(const std::optional<std::vector<DocumentInput>>& documents) {
  const FimTokens& fim = context_->model().info().fim;
  corpus_.setPromptLayout(PromptLayout{fim.suffix, fim.middle});  // drafters match across the FIM cursor
  if (!documents) return {};
  const Model& model = context_->model();
  return corpus_.update(*documents, [&](std::string_view text) { return model.tokenize(text, false, false); });
}

PrefillExecutor* Session::prefillExecutor() const { return handover_ && handover_->ready() ? handover_.get() : nullptr; }

void Session::reset() {
  context_->clear();
  documents_.clear();
  currentKey_.clear();
}

// Below this a document's KV is cheaper to prefill again than to keep.
constexpr size_t kMinSavedTokens = 32;

void Session::switchDocument(const std::string& key, bool keepCurrent, const std::vector<llama_token>& prompt, CompletionStats& stats) {
  const auto start = Clock::now();
  // Taken out before the current document is saved, so that save cannot evict the document
  // coming back: the limits count the saved documents besides the current one.
  std::optional<DocumentKvEntry> saved = key.empty() ? std::nullopt : documents_.take(key);
  const bool heldThisDocument = !key.empty() && currentKey_ == key;
  const std::vector<llama_token>& held = context_->evaluated();
  if (!currentKey_.empty() && (currentKey_ != key || keepCurrent) && held.size() >= kMinSavedTokens &&
      documents_.fits(context_->sequenceStateSize() + held.size() * sizeof(llama_token))) {
    try {
      documents_.put(currentKey_, held, context_->saveSequence());
    } catch (const EngineError&) {
      // not saved: that document is prefilled again when it comes back
    }
  }
  const bool restore = saved && commonPrefixLength(saved->tokens, prompt) > commonPrefixLength(context_->evaluated(), prompt);
  if (restore) {
    try {
      context_->restoreSequence(saved->state, saved->tokens);
      stats.restoredTokens = static_cast<int32_t>(saved->tokens.size());  // trimmed to the reused part by the prefill
    } catch (const EngineError&) {
      // the context is empty now: the prompt is prefilled from scratch
    }
  } else if (saved && keepCurrent && !heldThisDocument) {
    // A pre-warm whose prompt may never be used: the saved KV goes back for the completion that
    // still needs it (the document's other prompt).
    documents_.put(key, std::move(saved->tokens), std::move(saved->state));
  }
  // Otherwise an entry not restored is stale (the document changed where the prompt needs it):
  // dropped.
  currentKey_ = key;
  stats.kvSwitchMs = msSince(start);
}

BeforePrefill Session::documentSwitch(const std::string& key, bool keepCurrent) {
  return [this, &key, keepCurrent](const std::vector<llama_token>& prompt, CompletionStats& stats) {
    switchDocument(key, keepCurrent, prompt, stats);
  };
}

PrefillResult Session::prefill(const PrefillRequest& request, const CancelFlag& cancel) {
  updateCorpus(request.documents);
  for (auto& [mode, drafter] : drafters_) {
    if (drafter) drafter->prepare(corpus_);  // the next completion finds its indexes built
  }
  PrefillExecutor* executor = prefillExecutor();
  PrefillResult result = runPrefill(*context_, request, cancel, executor, documentSwitch(request.kvKey, request.keepCached));
  notePlacement(result.stats, executor != nullptr);
  result.stats.documentKv = documents_.stats();
  return result;
}

CompletionResult Session::complete(const CompletionRequest& request, const CancelFlag& cancel, const TextSink& onText) {
  const CorpusUpdate update = updateCorpus(request.documents);
  CompletionResult result;
  PrefillExecutor* prefill = prefillExecutor();
  const BeforePrefill switchKv = documentSwitch(request.kvKey);
  if (request.speculation == SpeculationMode::Off) {
    result = runCompletion(*context_, request, cancel, onText, greedy_, prefill, switchKv);
  } else {
    Drafter& drafter = drafterFor(request.speculation);
    SpeculationStats stats;
    stats.mode = request.speculation;
    if (drafter.costAware() && !cost_) {
      // Measured once per session (then cached on disk per model/threads/device): a scratch
      // sequence, so the committed KV is untouched.
      cost_ = costCurveFor(*context_);
      stats.costMeasureMs = cost_->measureMs;
    }
    if (cost_) {
      stats.costOrigin = cost_->origin;
      stats.costCurve = cost_->curve.points();
    }
    struct Begin : DecodeStrategy {
      Drafter& drafter;
      const DraftCorpus& corpus;
      SpeculativeStrategy inner;
      Begin(Drafter& d, const DraftCorpus& c, const CostCurve* cost, SpeculationStats& s) : drafter(d), corpus(c), inner(d, cost, s) {}
      void begin(const std::vector<llama_token>& prompt) override { drafter.begin(corpus, prompt); }
      void recordChoices(bool on) override { inner.recordChoices(on); }
      StepResult step(InferenceContext& c, const std::vector<llama_token>& seq, int32_t remaining) override {
        return inner.step(c, seq, remaining);
      }
    } strategy(drafter, corpus_, cost_ ? &cost_->curve : nullptr, stats);
    result = runCompletion(*context_, request, cancel, onText, strategy, prefill, switchKv);
    const DrafterCosts costs = drafter.costs();
    stats.documentIndexMs = costs.documentIndexMs;
    stats.requestIndexMs = costs.requestIndexMs;
    stats.indexBytes = static_cast<int64_t>(costs.indexBytes);
    result.speculation = std::move(stats);
  }
  notePlacement(result.stats, prefill != nullptr);
  result.stats.documentKv = documents_.stats();
  corpus_.addHistory(result.tokens);
  if (result.speculation) {
    SpeculationStats& s = *result.speculation;
    s.corpusDocuments = static_cast<int32_t>(corpus_.documentCount());
    s.corpusTokens = static_cast<int64_t>(corpus_.tokenCount());
    s.corpusBytes = static_cast<int64_t>(corpus_.memoryBytes());
    s.missingDocuments = update.missing;
    s.truncatedDocuments = update.truncatedDocuments;
    s.droppedTokens = update.droppedTokens;
    s.tokenizeMs = update.tokenizeMs;
  }
  return result;
}

void Session::shutdown() {
  context_->shutdown();
  if (handover_) handover_->stop();  // aborts a warm-up or a running hand-over prefill
  thread_.stop();
}

}  // namespace tandem
