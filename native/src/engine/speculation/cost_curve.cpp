#include "engine/speculation/cost_curve.h"

#include <algorithm>

namespace tandem {

CostCurve::CostCurve(std::vector<std::pair<int32_t, double>> points) : points_(std::move(points)) {
  std::sort(points_.begin(), points_.end());
}

double CostCurve::at(int32_t k) const {
  if (points_.empty()) return static_cast<double>(k);  // unknown: assume proportional (no speculation pays)
  if (k <= points_.front().first) return points_.front().second;
  for (size_t i = 1; i < points_.size(); ++i) {
    const auto& [k1, t1] = points_[i];
    if (k <= k1) {
      const auto& [k0, t0] = points_[i - 1];
      return t0 + (t1 - t0) * (k - k0) / static_cast<double>(k1 - k0);
    }
  }
  if (points_.size() == 1) return points_.back().second * k;
  const auto& [k0, t0] = points_[points_.size() - 2];
  const auto& [k1, t1] = points_.back();
  const double slope = std::max(0.0, (t1 - t0) / static_cast<double>(k1 - k0));
  return t1 + slope * (k - k1);
}

int32_t leavesOfPrefix(const DraftTree& tree, int32_t k) {
  std::vector<uint8_t> hasChild(static_cast<size_t>(k), 0);
  int32_t leaves = 0;
  for (int32_t i = 0; i < k; ++i) {
    const int32_t p = tree.nodes[i].parent;
    if (p >= 0 && !hasChild[p])
      hasChild[p] = 1;
    else
      ++leaves;  // a root child, or a second child: one more leaf
  }
  return leaves;
}

}  // namespace tandem
