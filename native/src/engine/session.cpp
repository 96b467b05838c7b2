#include "engine/session.h"

#include "engine/engine_error.h"
#include "engine/ngram_drafters.h"
#include "engine/pld_drafter.h"
#include "engine/sam_drafter.h"
#include "engine/speculative_strategy.h"

namespace tandem {

std::unique_ptr<Drafter> makeDrafter(SpeculationMode mode) {
  switch (mode) {
    case SpeculationMode::Off: return nullptr;
    case SpeculationMode::Pld: return std::make_unique<PldDrafter>();
    case SpeculationMode::Sam: {
      SamDrafterOptions o;
      o.tree = false;
      o.calibrate = false;
      o.extend = false;
      return std::make_unique<SamDrafter>(o);
    }
    case SpeculationMode::Auto: return std::make_unique<SamDrafter>(SamDrafterOptions{});
    default: return makeNgramDrafter(mode);
  }
}

Session::Session(std::shared_ptr<const Model> model, const ContextOptions& options)
    : context_(std::make_unique<InferenceContext>(std::move(model), options)) {}

Session::~Session() { shutdown(); }

Drafter& Session::drafterFor(SpeculationMode mode) {
  auto& slot = drafters_[mode];
  if (!slot) slot = makeDrafter(mode);
  return *slot;
}

CompletionResult Session::complete(const CompletionRequest& request, const CancelFlag& cancel, const TextSink& onText) {
  CorpusUpdate update;
  if (request.documents) {
    const Model& model = context_->model();
    update = corpus_.update(*request.documents, [&](std::string_view text) { return model.tokenize(text, false, false); });
  }
  CompletionResult result;
  if (request.speculation == SpeculationMode::Off) {
    result = runCompletion(*context_, request, cancel, onText, greedy_);
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
      StepResult step(InferenceContext& c, const std::vector<llama_token>& seq, int32_t remaining) override {
        return inner.step(c, seq, remaining);
      }
    } strategy(drafter, corpus_, cost_ ? &cost_->curve : nullptr, stats);
    result = runCompletion(*context_, request, cancel, onText, strategy);
    const DrafterCosts costs = drafter.costs();
    stats.documentIndexMs = costs.documentIndexMs;
    stats.requestIndexMs = costs.requestIndexMs;
    stats.indexBytes = static_cast<int64_t>(costs.indexBytes);
    result.speculation = std::move(stats);
  }
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
  thread_.stop();
}

}  // namespace tandem
