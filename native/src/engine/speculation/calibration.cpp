#include "engine/speculation/calibration.h"

#include <algorithm>

namespace tandem {
namespace {
// Evidence older than ~50 verifications of a cell fades out: editing sessions drift.
constexpr float kForget = 0.98f;
// Weight of the prior in pseudo-observations: a few verifications overrule it.
constexpr float kPriorWeight = 3.0f;
}  // namespace

AcceptanceCalibration::AcceptanceCalibration() = default;

int AcceptanceCalibration::lengthBucket(int32_t n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  if (n == 3) return 2;
  if (n <= 5) return 3;
  if (n <= 8) return 4;
  if (n <= 15) return 5;
  if (n <= 23) return 6;
  if (n <= 39) return 7;
  return 8;
}

int AcceptanceCalibration::depthBucket(int32_t d) {
  if (d <= 1) return 0;
  if (d == 2) return 1;
  if (d == 3) return 2;
  if (d <= 6) return 3;
  if (d <= 12) return 4;
  return 5;
}

size_t AcceptanceCalibration::index(const CalibrationKey& k) {
  const size_t s = static_cast<size_t>(k.source);
  return ((s * kLenBuckets + lengthBucket(k.matchLength)) * kDepthBuckets + depthBucket(k.depth)) * kRankBuckets + rankBucket(k);
}

float AcceptanceCalibration::prior(const CalibrationKey& k) {
  // Longer suffix matches predict their continuation better (SAM-Decoding, PLD); deeper tokens
  // were conditioned on a longer match already, so they are not penalised beyond the product of
  // path probabilities. Alternatives (rank > 0) are much weaker than the most frequent one.
  static const float byLength[kLenBuckets] = {0.12f, 0.3f, 0.45f, 0.6f, 0.7f, 0.8f, 0.88f, 0.9f, 0.92f};
  float p = byLength[lengthBucket(k.matchLength)];
  if (k.source == DraftSource::Extension) p = std::min(p, 0.3f);
  static const float byRank[kRankBuckets] = {1.f, 0.85f, 0.35f, 0.15f};
  return p * byRank[rankBucket(k)];
}

size_t AcceptanceCalibration::poolIndex(const CalibrationKey& k) {
  return (static_cast<size_t>(k.source) * kLenBuckets + lengthBucket(k.matchLength)) * kRankBuckets + rankBucket(k);
}

float AcceptanceCalibration::poolRate(const CalibrationKey& key) const {
  const Cell& c = pool_[poolIndex(key)];
  return (c.accepted + kPriorWeight * prior(key)) / (c.offered + kPriorWeight);
}

float AcceptanceCalibration::rate(const CalibrationKey& key) const {
  const Cell& c = cells_[index(key)];
  const float p = (c.accepted + kPriorWeight * poolRate(key)) / (c.offered + kPriorWeight);
  return std::clamp(p, 0.005f, 0.98f);
}

void AcceptanceCalibration::record(const CalibrationKey& key, bool accepted) {
  for (Cell* c : {&cells_[index(key)], &pool_[poolIndex(key)]}) {
    c->accepted = c->accepted * kForget + (accepted ? 1.f : 0.f);
    c->offered = c->offered * kForget + 1.f;
  }
}

}  // namespace tandem
