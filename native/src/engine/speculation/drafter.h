// A draft proposer. The speculative strategy asks it for a tree each step, verifies a best-first
// prefix of that tree, and reports back what the model accepted.
#pragma once

#include <string>
#include <vector>

#include "engine/speculation/draft_tree.h"

namespace tandem {

// One document of the draft corpus, already tokenized.
struct DraftDocument {
  std::string id;
  int64_t version = 0;
  DraftSource source = DraftSource::OtherFile;
  std::vector<llama_token> tokens;
};

class DraftCorpus;

// Costs a drafter reports about its indexes (for stats).
struct DrafterCosts {
  double documentIndexMs = 0;  // rebuilding the context-document index (only when documents changed)
  double requestIndexMs = 0;   // building the per-request index (prompt + history)
  size_t indexBytes = 0;
  size_t indexTokens = 0;
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // A new request: the corpus (context documents and history) and the prompt tokens.
  virtual void begin(const DraftCorpus& corpus, const std::vector<llama_token>& prompt) = 0;
  // Brings what it keeps about the context documents up to date, so the next begin() need not (a
  // pre-warm calls it, off the keystroke path).
  virtual void prepare(const DraftCorpus& /*corpus*/) {}
  // Proposes continuations of `sequence` (prompt + tokens committed so far), at most maxNodes.
  virtual DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) = 0;
  // What the model did with the (possibly truncated) tree returned by the last draft().
  virtual void feedback(const DraftTree& verified, const VerifyOutcome& outcome) = 0;
  virtual const char* name() const = 0;
  // Whether the strategy should size the tree from the cost curve (else verify it whole).
  virtual bool costAware() const { return false; }
  // After every step, drafted or not: tokens it committed and its cost T(k+1)/T(1).
  virtual void stepDone(int32_t /*committed*/, double /*relativeCost*/) {}
  // Committed tokens per unit of T(1) that decoding with this drafter has been achieving (≥ 1:
  // plain decoding achieves 1). The budget chooser spends time on a draft node only when it buys
  // tokens at a better rate than that.
  virtual double throughput() const { return 1.0; }
  virtual DrafterCosts costs() const { return {}; }
};

}  // namespace tandem
