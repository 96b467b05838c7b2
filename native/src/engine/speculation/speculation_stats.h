// Speculation modes and the per-request statistics of speculative decoding (SpeculationStats in
// native.ts).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

enum class SpeculationMode { Off, Pld, Sam, NgramSimple, NgramMapK, NgramMod, NgramCache, Auto };
const char* speculationModeName(SpeculationMode mode);
std::optional<SpeculationMode> parseSpeculationMode(const std::string& name);

struct SpeculationStats {
  SpeculationMode mode = SpeculationMode::Off;
  int32_t steps = 0;
  int32_t draftedTokens = 0;  // tree nodes verified
  int32_t acceptedTokens = 0;
  std::vector<int32_t> acceptedHistogram;
  int64_t treeNodesTotal = 0;  // for meanTreeSize
  int32_t draftSteps = 0;      // steps that verified a non-empty tree
  double draftMs = 0, verifyMs = 0, sampleMs = 0;
  std::map<int32_t, int32_t> budgets;  // batch size k (nodes + 1) → steps
  // corpus and indexes
  int32_t corpusDocuments = 0;
  int64_t corpusTokens = 0;
  int64_t corpusBytes = 0;
  std::vector<std::string> missingDocuments;
  int32_t truncatedDocuments = 0;
  int64_t droppedTokens = 0;
  double tokenizeMs = 0, documentIndexMs = 0, requestIndexMs = 0;
  int64_t indexBytes = 0;
  // cost curve
  std::string costOrigin;
  double costMeasureMs = 0;
  std::vector<std::pair<int32_t, double>> costCurve;

  void countAccepted(int32_t n) {
    if (acceptedHistogram.size() <= static_cast<size_t>(n)) acceptedHistogram.resize(static_cast<size_t>(n) + 1, 0);
    ++acceptedHistogram[static_cast<size_t>(n)];
  }
};

}  // namespace tandem
