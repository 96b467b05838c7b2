// The speculative DecodeStrategy: each step asks the drafter for a tree, keeps the prefix the cost
// curve says pays (cost-aware drafters) or the whole draft (fixed-length baselines), verifies it
// together with the pending token in one llama_decode, and reports the outcome to the drafter.
#pragma once

#include "engine/completion.h"
#include "engine/cost_curve.h"
#include "engine/drafter.h"

namespace tandem {

// Removes nodes deeper than maxDepth, keeping parents-first order (indices renumbered).
DraftTree limitDepth(const DraftTree& tree, int32_t maxDepth);
DraftTree prefixOf(const DraftTree& tree, int32_t k);

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
