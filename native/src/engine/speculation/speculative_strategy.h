// The speculative DecodeStrategy: each step asks the drafter for a tree, keeps the prefix the cost
// curve says pays (cost-aware drafters) or the whole draft (fixed-length baselines), verifies it
// together with the pending token in one llama_decode, and reports the outcome to the drafter.
#pragma once

#include "engine/decode/completion.h"
#include "engine/speculation/cost_curve.h"
#include "engine/speculation/drafter.h"

namespace tandem {

// Removes nodes deeper than maxDepth, keeping parents-first order (indices renumbered).
DraftTree limitDepth(const DraftTree& tree, int32_t maxDepth);
DraftTree prefixOf(const DraftTree& tree, int32_t k);

// The prefix of `tree` (best-first, parents first) to verify, for a decoder that achieves
// `throughput` tokens per T(1): maximises E[committed] − throughput · T(k+1)/T(1) over k (k = 0:
// plain decoding). Maximising the long-run rate Σ tokens / Σ time this way (Dinkelbach) drafts a
// node when its acceptance probability beats throughput × its marginal cost; maximising each
// step's own rate instead would cut long, sure drafts short just because their first tokens were
// already very good value. maxNodes and maxLeaves cap the prefix (context space, sequence ids).
BudgetChoice chooseDraftBudget(const DraftTree& tree, const CostCurve& cost, int32_t maxNodes, int32_t maxLeaves, double throughput);

class SpeculativeStrategy : public DecodeStrategy {
 public:
  SpeculativeStrategy(Drafter& drafter, const CostCurve* cost, SpeculationStats& stats) : drafter_(drafter), cost_(cost), stats_(stats) {}
  StepResult step(InferenceContext& context, const std::vector<llama_token>& sequence, int32_t remaining) override;

 private:
  Drafter& drafter_;
  const CostCurve* cost_;
  SpeculationStats& stats_;
};

}  // namespace tandem
