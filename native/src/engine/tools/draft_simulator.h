// Model-free drafting benchmark: replays traces where the reference continuation stands in for
// the model's greedy output. Each mode is one simulated session over all traces in order (so
// calibration and history carry over as in an editor). A step drafts, sizes the tree (cost-aware
// modes use the given T(k) curve), "verifies" it against the reference, and charges T(k+1)/T(1).
#pragma once

#include <string>
#include <vector>

#include "engine/speculation/cost_curve.h"
#include "engine/speculation/draft_corpus.h"
#include "engine/speculation/speculation_stats.h"

namespace tandem {

struct SimTrace {
  std::string kind;  // 'related' | 'partial' | 'novel'
  std::vector<llama_token> prompt;
  std::vector<DocumentInput> documents;  // tokens set
  std::vector<llama_token> reference;
};

struct SimTotals {
  int64_t steps = 0, tokens = 0, drafted = 0, accepted = 0, draftSteps = 0, hitSteps = 0;
  double cost = 0;  // Σ T(k+1)/T(1): time in units of one plain decode step
  double drafterUs = 0, beginUs = 0;
  std::map<int32_t, int32_t> budgets;
};

struct SimModeResult {
  std::string mode;
  std::map<std::string, SimTotals> byKind;  // kind → totals; "all" too
};

// layout: the FIM prompt layout of the traces' tokenizer (drafters match across the cursor).
std::vector<SimModeResult> simulateDrafting(const std::vector<SimTrace>& traces, const std::vector<SpeculationMode>& modes,
                                            const CostCurve& cost, const PromptLayout& layout = {});

}  // namespace tandem
