// T(k): the measured time of one forward pass that evaluates k tokens at the current depth, and
// the budget chooser built on it. On a 2-core CPU T(8) ≈ 4.7·T(1); on a GPU T(k) is nearly flat up
// to k ≈ 64. The same rule serves both: verify the k best tree nodes that maximise expected
// committed tokens per unit of time, or draft nothing when plain decoding is faster.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/speculation/draft_tree.h"

namespace tandem {

class CostCurve {
 public:
  CostCurve() = default;
  // points: (k, ms) pairs with distinct k ≥ 1, any order; k = 1 must be present.
  explicit CostCurve(std::vector<std::pair<int32_t, double>> points);
  bool empty() const { return points_.empty(); }
  // T(k) in ms: measured points, linear in between, linear extrapolation past the last.
  double at(int32_t k) const;
  // T(k) / T(1)
  double relative(int32_t k) const { return at(k) / at(1); }
  int32_t maxMeasured() const { return points_.empty() ? 0 : points_.back().first; }
  const std::vector<std::pair<int32_t, double>>& points() const { return points_; }

 private:
  std::vector<std::pair<int32_t, double>> points_;
};

// What chooseDraftBudget (speculative_strategy.h) picked.
struct BudgetChoice {
  int32_t nodes = 0;            // tree nodes to verify (batch = nodes + 1 with the root)
  double expectedAccepted = 0;  // Σ path probabilities of those nodes
  double gain = 1;              // (expected + 1) / T(nodes + 1) relative to 1 / T(1)
};

// Leaves of the first `k` nodes of a parents-first tree.
int32_t leavesOfPrefix(const DraftTree& tree, int32_t k);

}  // namespace tandem
