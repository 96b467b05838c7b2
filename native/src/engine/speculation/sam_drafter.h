// Retrieval drafting over suffix automata (SAM-Decoding style), in two levels so the per-request
// cost stays small: a rarely rebuilt index over the context documents, and a small per-request
// index over the session history plus the prompt, which then grows online with every committed
// token (so repeats inside the completion are found too). A third, tiny index holds the
// consistent stretches of rejected drafts (draft extension, paper Eq. 3).
//
// 'auto' (Tandem): several continuations per match, from the longest match and shorter ones, in
// both indexes, merged into one token trie grown best-first by calibrated path probability; the
// strategy then verifies the prefix the cost curve says pays, valuing time at the throughput this
// drafter has been achieving. Context-aligned: with a FIM prompt the output is matched as the
// continuation of the text before the cursor (not of the prompt's <suffix>…<middle> end), and
// calibration learns in hindsight from every drafted node once the output has reached it.
// 'sam': the plain baseline — one linear draft from the longest match of the raw sequence, fixed
// length, no calibration, no extension.
#pragma once

#include <deque>
#include <queue>

#include "engine/speculation/calibration.h"
#include "engine/speculation/drafter.h"
#include "engine/speculation/suffix_automaton.h"

namespace tandem {

struct SamDrafterOptions {
  bool tree = true;  // false: linear top-1 draft of linearLength tokens (the 'sam' baseline)
  bool calibrate = true;
  bool extend = true;
  bool alignCursor = true;  // match FIM output as the continuation of the text before the cursor
  int32_t linearLength = 10;
  int32_t maxChildren = 4;       // continuations considered per trie node
  int32_t rootAlternatives = 3;  // shorter suffix matches also used as roots
  int32_t maxDepth = 48;
  float minPathProb = 0.004f;
};

class SamDrafter : public Drafter {
 public:
  explicit SamDrafter(SamDrafterOptions options);
  void begin(const DraftCorpus& corpus, const std::vector<llama_token>& prompt) override;
  void prepare(const DraftCorpus& corpus) override;
  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override;
  void feedback(const DraftTree& verified, const VerifyOutcome& outcome) override;
  const char* name() const override { return options_.tree ? "auto" : "sam"; }
  bool costAware() const override { return options_.tree; }
  void stepDone(int32_t committed, double relativeCost) override;
  double throughput() const override;
  DrafterCosts costs() const override { return costs_; }
  const AcceptanceCalibration& calibration() const { return calibration_; }

 private:
  // Rebuilds the context-document index when the documents changed; the ms it took (0 if not).
  double indexDocuments(const DraftCorpus& corpus);
  struct Index {
    SuffixAutomaton sam;
    std::vector<int64_t> starts;  // corpus offset of each document
    std::vector<DraftSource> sources;
    SuffixAutomaton::Match match;
    bool open = false;  // the last document is the sequence itself (grows online)
    DraftSource sourceAt(int64_t pos) const;
    void add(const std::vector<llama_token>& tokens, DraftSource source);
    void reset();
  };
  struct Root {
    int index;
    int32_t state;
    int32_t length;
  };
  struct Candidate {
    float prob;
    int32_t parent;
    llama_token token;
    int index;
    int32_t state;
    int32_t rootLength;
    int32_t depth;
    int32_t rank;
    float share;
    bool operator<(const Candidate& o) const { return prob < o.prob; }
  };

  // A drafted tree waiting for the tokens that decide each node: calibration learns from every
  // node once the committed sequence has reached it, verified or not (hindsight), so deep nodes
  // that a tight CPU budget never verifies are still measured.
  struct PendingDraft {
    size_t start = 0;  // sequence length when drafted: node at depth d predicts sequence[start + d - 1]
    std::vector<DraftNode> nodes;
    std::vector<CalibrationKey> keys;
    std::vector<int32_t> depth;
    std::vector<int8_t> outcome;  // -1 not known yet, 0 rejected (or below a rejected node), 1 accepted
    size_t open = 0;              // nodes still -1
  };

  void consume(const std::vector<llama_token>& sequence);
  void rebuildExtensionIndex();
  void learnInHindsight(const std::vector<llama_token>& sequence);
  std::vector<Root> roots() const;
  float rateOf(const CalibrationKey& key) const;
  DraftTree linearDraft(int32_t maxNodes);
  DraftTree treeDraft(int32_t maxNodes);
  void pushChildren(std::priority_queue<Candidate>& queue, const Candidate& from, int32_t node) const;

  SamDrafterOptions options_;
  Index indexes_[3];  // 0 = request (history + prompt + generated), 1 = documents, 2 = extensions
  uint64_t documentsGeneration_ = ~0ull;
  size_t consumed_ = 0;
  // The text the output continues: the prompt, or with a FIM prompt the part before the cursor;
  // the committed tokens are appended to it (and to the request index's open document).
  std::vector<llama_token> continued_;
  std::vector<std::vector<llama_token>> stretches_;
  bool extensionDirty_ = false;
  AcceptanceCalibration calibration_;
  std::vector<CalibrationKey> keys_;  // calibration key of each node of the last draft
  std::deque<PendingDraft> pending_;
  DrafterCosts costs_;
  // Recent committed tokens and step costs (exponentially forgotten): the achieved throughput.
  double recentTokens_ = 0, recentCost_ = 0;
};

}  // namespace tandem
