// Context-aligned calibration: how likely a draft node is to be accepted, learned online from
// what the model actually accepted. Statistics are kept per (source, match length, depth, rank
// among siblings) cell with an exponential forgetting factor, so a source that stops paying off
// (a stale open file, a misleading history) shrinks within a few requests and a trusted one grows.
#pragma once

#include <array>
#include <cstdint>

#include "engine/speculation/draft_tree.h"

namespace tandem {

struct CalibrationKey {
  DraftSource source = DraftSource::Prompt;
  int32_t matchLength = 0;  // context the node is predicted from: root match length + depth - 1
  int32_t depth = 1;        // depth of the node below the root (1 = first draft token)
  int32_t rank = 0;         // 0 = most frequent continuation of its match state
  float share = 1.f;        // its share of the occurrences of the match (1 = the only continuation)
};

class AcceptanceCalibration {
 public:
  static constexpr int kLenBuckets = 9, kDepthBuckets = 6, kRankBuckets = 4;
  static int lengthBucket(int32_t matchLength);
  static int depthBucket(int32_t depth);
  // 0: the only continuation seen, 1: the most frequent of several, 2: second, 3: the rest.
  static int rankBucket(const CalibrationKey& key) { return key.rank <= 0 ? (key.share >= 0.999f ? 0 : 1) : key.rank == 1 ? 2 : 3; }

  AcceptanceCalibration();
  // P(node accepted | its parent accepted), posterior mean with a length-based prior.
  float rate(const CalibrationKey& key) const;
  void record(const CalibrationKey& key, bool accepted);
  // Prior before any evidence (also the value with calibration switched off).
  static float prior(const CalibrationKey& key);

 private:
  struct Cell {
    float accepted = 0, offered = 0;
  };
  static size_t index(const CalibrationKey& key);
  static size_t poolIndex(const CalibrationKey& key);
  float poolRate(const CalibrationKey& key) const;
  std::array<Cell, kDraftSourceCount * kLenBuckets * kDepthBuckets * kRankBuckets> cells_{};
  // The same statistics pooled over depth: a cell never verified yet (deep nodes under a tight
  // CPU budget) borrows from shallower evidence at the same context length instead of the prior.
  std::array<Cell, kDraftSourceCount * kLenBuckets * kRankBuckets> pool_{};
};

}  // namespace tandem
