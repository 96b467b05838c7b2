#include "engine/speculation/sam_drafter.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "engine/runtime/elapsed.h"
#include "engine/speculation/draft_corpus.h"

namespace tandem {
namespace {
constexpr int kRequest = 0, kDocuments = 1, kExtensions = 2;
constexpr size_t kMatchTail = 512;  // a longer suffix match changes nothing in drafting
constexpr size_t kMaxStretches = 4;
constexpr size_t kMaxPendingDrafts = 64;    // drafts still waiting for the tokens that decide them
constexpr double kThroughputForget = 0.98;  // ~50 steps: a few completions

}  // namespace

void SamDrafter::Index::reset() {
  sam.clear();
  starts.clear();
  sources.clear();
  match = {};
  open = false;
}

void SamDrafter::Index::add(const std::vector<llama_token>& tokens, DraftSource source) {
  // addDocument puts a separator before every document but the first.
  const int64_t start = static_cast<int64_t>(sam.sizeTokens()) + (sam.sizeTokens() > 0 ? 1 : 0);
  if (!sam.addDocument(tokens)) return;
  starts.push_back(start);
  sources.push_back(source);
}

DraftSource SamDrafter::Index::sourceAt(int64_t pos) const {
  auto it = std::upper_bound(starts.begin(), starts.end(), pos);
  if (it == starts.begin()) return sources.empty() ? DraftSource::Prompt : sources.front();
  return sources[static_cast<size_t>(it - starts.begin()) - 1];
}

SamDrafter::SamDrafter(SamDrafterOptions options) : options_(options) { indexes_[kDocuments].sam.setMaxTokens(1u << 22); }

double SamDrafter::indexDocuments(const DraftCorpus& corpus) {
  if (corpus.generation() == documentsGeneration_) return 0;
  // Rare: only when the editor's documents changed. ~1.7 µs per token.
  const auto t = std::chrono::steady_clock::now();
  Index& docs = indexes_[kDocuments];
  docs.reset();
  for (const DraftDocument* d : corpus.documents()) docs.add(d->tokens, d->source);
  docs.sam.finalize();
  documentsGeneration_ = corpus.generation();
  return msSince(t);
}

void SamDrafter::prepare(const DraftCorpus& corpus) { indexDocuments(corpus); }

void SamDrafter::begin(const DraftCorpus& corpus, const std::vector<llama_token>& prompt) {
  costs_.documentIndexMs = indexDocuments(corpus);  // 0 when unchanged or a pre-warm built it
  pending_.clear();                                 // their tokens would have come in the previous request
  // Per request: history + prompt, the prompt left open so generated tokens extend it.
  const auto t = std::chrono::steady_clock::now();
  Index& req = indexes_[kRequest];
  req.reset();
  req.sam.setMaxTokens(prompt.size() + corpus.limits().maxHistoryTokens + 65536);
  for (const auto& h : corpus.history()) req.add(h, DraftSource::History);
  // A FIM prompt <prefix> P <suffix> S <middle> M: S is indexed on its own and P + M is the open
  // document, so the output extends the text it really continues (matches run across the cursor).
  const FimParts fim = options_.alignCursor ? locateFimParts(prompt, corpus.promptLayout()) : FimParts{};
  const auto at = [&](size_t i) { return prompt.begin() + static_cast<std::ptrdiff_t>(i); };
  if (fim.found) {
    req.add(std::vector<llama_token>(at(fim.suffix + 1), at(fim.middle)), DraftSource::Prompt);
    continued_.assign(prompt.begin(), at(fim.suffix));
    continued_.insert(continued_.end(), at(fim.middle + 1), prompt.end());
  } else {
    continued_ = prompt;
  }
  req.add(continued_, DraftSource::Prompt);
  req.sam.finalize();
  req.open = true;
  costs_.requestIndexMs = msSince(t);

  const size_t from = continued_.size() > kMatchTail ? continued_.size() - kMatchTail : 0;
  Index& docs = indexes_[kDocuments];
  docs.match = {};
  for (size_t i = from; i < continued_.size(); ++i) docs.match = docs.sam.advance(docs.match, continued_[i]);
  consumed_ = prompt.size();
  extensionDirty_ = !stretches_.empty();
  if (extensionDirty_) rebuildExtensionIndex();
  costs_.indexBytes = docs.sam.memoryBytes() + req.sam.memoryBytes();
  costs_.indexTokens = docs.sam.sizeTokens() + req.sam.sizeTokens();
}

void SamDrafter::rebuildExtensionIndex() {
  Index& ext = indexes_[kExtensions];
  ext.reset();
  for (const auto& s : stretches_) ext.add(s, DraftSource::Extension);
  ext.sam.finalize();
  const size_t from = continued_.size() > 64 ? continued_.size() - 64 : 0;
  for (size_t i = from; i < continued_.size(); ++i) ext.match = ext.sam.advance(ext.match, continued_[i]);
  extensionDirty_ = false;
}

void SamDrafter::consume(const std::vector<llama_token>& sequence) {
  if (sequence.size() < consumed_) consumed_ = sequence.size();  // a different sequence: should not happen
  for (size_t i = consumed_; i < sequence.size(); ++i) {
    const llama_token t = sequence[i];
    continued_.push_back(t);
    indexes_[kRequest].sam.appendToken(t);
    indexes_[kDocuments].match = indexes_[kDocuments].sam.advance(indexes_[kDocuments].match, t);
    if (!extensionDirty_) indexes_[kExtensions].match = indexes_[kExtensions].sam.advance(indexes_[kExtensions].match, t);
  }
  consumed_ = sequence.size();
  if (extensionDirty_) rebuildExtensionIndex();
}

std::vector<SamDrafter::Root> SamDrafter::roots() const {
  std::vector<Root> out;
  for (int i = 0; i < 3; ++i) {
    const Index& ix = indexes_[i];
    if (ix.sam.sizeTokens() == 0) continue;
    int32_t s = ix.open ? ix.sam.lastState() : ix.match.state;
    int32_t len = ix.open ? ix.sam.stateLength(s) : ix.match.length;
    // Walk to shorter suffixes until one has a continuation somewhere in the corpus (the
    // sequence's own end has none yet).
    const int32_t minLength = i == kDocuments ? 2 : 1;  // 1-token matches in big documents are noise
    int taken = 0;
    while (s > 0 && len >= minLength && taken < options_.rootAlternatives) {
      if (ix.sam.hasContinuation(s)) {
        out.push_back(Root{i, s, len});
        ++taken;
        if (!options_.tree) break;
      }
      s = ix.sam.suffixLink(s);
      len = s >= 0 ? ix.sam.stateLength(s) : 0;
    }
  }
  return out;
}

float SamDrafter::rateOf(const CalibrationKey& key) const {
  return options_.calibrate ? calibration_.rate(key) : AcceptanceCalibration::prior(key);
}

DraftTree SamDrafter::draft(const std::vector<llama_token>& sequence, int32_t maxNodes) {
  consume(sequence);
  keys_.clear();
  if (maxNodes <= 0) return {};
  if (options_.calibrate) learnInHindsight(sequence);
  DraftTree tree = options_.tree ? treeDraft(maxNodes) : linearDraft(maxNodes);
  if (options_.calibrate && !tree.empty()) {
    PendingDraft p;
    p.start = sequence.size();
    p.nodes = tree.nodes;
    p.keys = keys_;
    p.depth.resize(tree.nodes.size());
    for (size_t i = 0; i < tree.nodes.size(); ++i) p.depth[i] = tree.nodes[i].parent < 0 ? 1 : p.depth[tree.nodes[i].parent] + 1;
    p.outcome.assign(tree.nodes.size(), -1);
    p.open = tree.nodes.size();
    pending_.push_back(std::move(p));
    if (pending_.size() > kMaxPendingDrafts) pending_.pop_front();
  }
  return tree;
}

void SamDrafter::learnInHindsight(const std::vector<llama_token>& sequence) {
  for (PendingDraft& p : pending_) {
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      if (p.outcome[i] >= 0) continue;
      const int32_t parent = p.nodes[i].parent;
      const int8_t above = parent < 0 ? 1 : p.outcome[parent];
      if (above < 0) continue;  // parents come first: still open
      if (above == 0) {
        p.outcome[i] = 0;  // below a rejected node: says nothing about this node's own odds
      } else {
        const size_t at = p.start + static_cast<size_t>(p.depth[i]) - 1;
        if (at >= sequence.size()) continue;
        const bool accepted = sequence[at] == p.nodes[i].token;
        calibration_.record(p.keys[i], accepted);
        p.outcome[i] = accepted ? 1 : 0;
      }
      --p.open;
    }
  }
  while (!pending_.empty() && pending_.front().open == 0) pending_.pop_front();
}

DraftTree SamDrafter::linearDraft(int32_t maxNodes) {
  // The longest match over all indexes, its most frequent continuation, repeatedly.
  DraftTree tree;
  std::vector<Root> rs = roots();
  if (rs.empty()) return tree;
  const Root best = *std::max_element(rs.begin(), rs.end(), [](const Root& a, const Root& b) { return a.length < b.length; });
  const Index& ix = indexes_[best.index];
  int32_t state = best.state;
  float prob = 1.f;
  const int32_t n = std::min(maxNodes, options_.linearLength);
  for (int32_t d = 1; d <= n; ++d) {
    auto next = ix.sam.topContinuations(state, 1);
    if (next.empty()) break;
    const CalibrationKey key{ix.sourceAt(ix.sam.endPosition(next[0].state)), best.length + d - 1, d, 0};
    prob *= AcceptanceCalibration::prior(key);
    tree.nodes.push_back(DraftNode{next[0].token, static_cast<int32_t>(tree.nodes.size()) - 1, prob, key.source});
    keys_.push_back(key);
    state = next[0].state;
  }
  return tree;
}

void SamDrafter::pushChildren(std::priority_queue<Candidate>& queue, const Candidate& from, int32_t node) const {
  if (from.depth + 1 > options_.maxDepth) return;
  const Index& ix = indexes_[from.index];
  const auto next = ix.sam.topContinuations(from.state, static_cast<size_t>(options_.maxChildren));
  double total = 0;
  for (const auto& c : next) total += c.count;
  for (size_t r = 0; r < next.size(); ++r) {
    const float share = total > 0 ? static_cast<float>(next[r].count / total) : (next.size() == 1 ? 1.f : 0.5f);
    const CalibrationKey key{ix.sourceAt(ix.sam.endPosition(next[r].state)), from.rootLength + from.depth, from.depth + 1,
                             static_cast<int32_t>(r), share};
    const float p = from.prob * rateOf(key);
    if (p < options_.minPathProb) continue;
    queue.push(
        Candidate{p, node, next[r].token, from.index, next[r].state, from.rootLength, from.depth + 1, static_cast<int32_t>(r), share});
  }
}

DraftTree SamDrafter::treeDraft(int32_t maxNodes) {
  DraftTree tree;
  std::priority_queue<Candidate> queue;
  for (const Root& r : roots()) {
    // A virtual candidate at the root: its children are the first draft tokens.
    pushChildren(queue, Candidate{1.f, -1, -1, r.index, r.state, r.length, 0, 0, 1.f}, -1);
  }
  std::unordered_map<uint64_t, int32_t> trie;  // (parent, token) → node: merges sources
  while (!queue.empty() && static_cast<int32_t>(tree.nodes.size()) < maxNodes) {
    const Candidate c = queue.top();
    queue.pop();
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(c.parent + 1)) << 32) | static_cast<uint32_t>(c.token);
    int32_t node;
    auto it = trie.find(key);
    if (it != trie.end()) {
      node = it->second;  // the same token from another source/match: only its children are new
    } else {
      node = static_cast<int32_t>(tree.nodes.size());
      const Index& ix = indexes_[c.index];
      const CalibrationKey k{ix.sourceAt(ix.sam.endPosition(c.state)), c.rootLength + c.depth - 1, c.depth, c.rank, c.share};
      tree.nodes.push_back(DraftNode{c.token, c.parent, c.prob, k.source});
      keys_.push_back(k);
      trie.emplace(key, node);
    }
    pushChildren(queue, c, node);
  }
  return tree;
}

void SamDrafter::feedback(const DraftTree& verified, const VerifyOutcome& outcome) {
  const size_t n = std::min(verified.nodes.size(), keys_.size());
  if (!options_.extend || outcome.predicted.size() < n + 1) return;
  std::vector<uint8_t> accepted(n, 0);
  for (int32_t i : outcome.acceptedPath)
    if (i >= 0 && static_cast<size_t>(i) < n) accepted[i] = 1;
  // Draft extension (paper Eq. 3): below the last accepted node, the best rejected chain; where
  // the model's predictions agreed with it (pred(d_i) == d_{i+1}), that stretch is likely to
  // come back once the model's correction is in place, so it becomes draft material.
  const int32_t anchor = outcome.acceptedPath.empty() ? -1 : outcome.acceptedPath.back();
  std::vector<int32_t> chain;
  for (int32_t cur = anchor;;) {
    int32_t child = -1;
    for (size_t i = 0; i < n; ++i)
      if (verified.nodes[i].parent == cur && !accepted[i]) {
        child = static_cast<int32_t>(i);
        break;
      }
    if (child < 0) break;
    chain.push_back(child);
    cur = child;
  }
  if (chain.size() < 3) return;
  auto pred = [&](int32_t node) { return outcome.predicted[static_cast<size_t>(node) + 1]; };
  size_t bestFrom = 0, bestLen = 0;
  for (size_t i = 0; i + 1 < chain.size();) {
    size_t j = i;
    while (j + 1 < chain.size() && pred(chain[j]) == verified.nodes[chain[j + 1]].token) ++j;
    if (j - i > bestLen) {
      bestLen = j - i;
      bestFrom = i;
    }
    i = j + 1;
  }
  if (bestLen < 2) return;
  std::vector<llama_token> stretch;
  // Anchored on the model's correction when the agreement starts right after the rejected token.
  if (bestFrom == 0 && !outcome.committed.empty())
    stretch.push_back(outcome.committed.back());
  else
    stretch.push_back(verified.nodes[chain[bestFrom]].token);
  for (size_t i = bestFrom + 1; i <= bestFrom + bestLen; ++i) stretch.push_back(verified.nodes[chain[i]].token);
  stretch.push_back(pred(chain[bestFrom + bestLen]));
  stretches_.push_back(std::move(stretch));
  if (stretches_.size() > kMaxStretches) stretches_.erase(stretches_.begin());
  extensionDirty_ = true;
}

void SamDrafter::stepDone(int32_t committed, double relativeCost) {
  recentTokens_ = recentTokens_ * kThroughputForget + committed;
  recentCost_ = recentCost_ * kThroughputForget + relativeCost;
}

double SamDrafter::throughput() const { return recentCost_ > 0 ? std::max(1.0, recentTokens_ / recentCost_) : 1.0; }

}  // namespace tandem
