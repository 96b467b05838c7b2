#include "engine/speculation/suffix_automaton.h"

#include <algorithm>

namespace tandem {

SuffixAutomaton::SuffixAutomaton() { clear(); }

void SuffixAutomaton::clear() {
  states_.assign(1, State{});
  out_.assign(1, {});
  edges_.clear();
  corpus_.clear();
  last_ = 0;
  nextSeparator_ = -1;
}

int32_t SuffixAutomaton::next(int32_t state, Token t) const {
  auto it = edges_.find(edgeKey(state, t));
  return it == edges_.end() ? -1 : it->second;
}

void SuffixAutomaton::extend(Token t) {
  corpus_.push_back(t);
  const int32_t cur = static_cast<int32_t>(states_.size());
  states_.push_back(State{states_[last_].len + 1, -1, static_cast<int64_t>(corpus_.size()) - 1, 0, false});
  out_.emplace_back();
  int32_t p = last_;
  while (p != -1 && next(p, t) == -1) {
    edges_[edgeKey(p, t)] = cur;
    out_[p].push_back(t);
    p = states_[p].link;
  }
  if (p == -1) {
    states_[cur].link = 0;
  } else {
    const int32_t q = next(p, t);
    if (states_[p].len + 1 == states_[q].len) {
      states_[cur].link = q;
    } else {
      const int32_t clone = static_cast<int32_t>(states_.size());
      State c = states_[q];
      c.len = states_[p].len + 1;
      c.cloned = true;
      states_.push_back(c);
      out_.push_back(out_[q]);
      for (Token tok : out_[q]) edges_[edgeKey(clone, tok)] = edges_.at(edgeKey(q, tok));
      while (p != -1 && next(p, t) == q) {
        edges_[edgeKey(p, t)] = clone;
        p = states_[p].link;
      }
      states_[q].link = clone;
      states_[cur].link = clone;
    }
  }
  last_ = cur;
}

bool SuffixAutomaton::addDocument(const std::vector<Token>& tokens) {
  if (corpus_.size() + tokens.size() + 1 > maxTokens_) return false;
  if (!corpus_.empty()) extend(nextSeparator_--);  // never matched: generated tokens are >= 0
  for (Token t : tokens) extend(t);
  return true;
}

void SuffixAutomaton::finalize() {
  // |endpos| = number of non-clone states in the suffix-link subtree; sum bottom-up by length.
  std::vector<int32_t> order(states_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return states_[a].len > states_[b].len; });
  for (auto& s : states_) s.count = s.cloned ? 0 : 1;
  states_[0].count = 0;
  for (int32_t v : order) {
    if (states_[v].link >= 0) states_[states_[v].link].count += states_[v].count;
  }
}

SuffixAutomaton::Match SuffixAutomaton::advance(Match m, Token token) const {
  int32_t s = m.state;
  int32_t len = m.length;
  for (;;) {
    const int32_t n = next(s, token);
    if (n != -1) return Match{n, len + 1};
    if (s == 0) return Match{0, 0};
    s = states_[s].link;
    len = states_[s].len;
  }
}

SuffixAutomaton::Match SuffixAutomaton::match(const std::vector<Token>& sequence) const {
  Match m;
  for (Token t : sequence) m = advance(m, t);
  return m;
}

std::vector<SuffixAutomaton::Continuation> SuffixAutomaton::continuations(int32_t state) const {
  std::vector<Continuation> out;
  for (Token t : out_[state]) {
    if (t < 0) continue;  // document separator
    const int32_t n = next(state, t);
    out.push_back(Continuation{t, n, states_[n].count});
  }
  std::sort(out.begin(), out.end(),
            [](const Continuation& a, const Continuation& b) { return a.count != b.count ? a.count > b.count : a.token < b.token; });
  return out;
}

std::vector<SuffixAutomaton::Continuation> SuffixAutomaton::topContinuations(int32_t state, size_t k) const {
  std::vector<Continuation> out;
  out.reserve(std::min(out_[state].size(), k + 1));
  auto better = [](const Continuation& a, const Continuation& b) { return a.count != b.count ? a.count > b.count : a.token < b.token; };
  for (Token t : out_[state]) {
    if (t < 0) continue;
    const int32_t n = next(state, t);
    Continuation c{t, n, states_[n].count};
    if (out.size() < k) {
      out.push_back(c);
      std::push_heap(out.begin(), out.end(), better);  // heap top = worst kept
    } else if (k > 0 && better(c, out.front())) {
      std::pop_heap(out.begin(), out.end(), better);
      out.back() = c;
      std::push_heap(out.begin(), out.end(), better);
    }
  }
  std::sort(out.begin(), out.end(), better);
  return out;
}

bool SuffixAutomaton::hasContinuation(int32_t state) const {
  for (Token t : out_[state])
    if (t >= 0) return true;
  return false;
}

bool SuffixAutomaton::appendToken(Token t) {
  if (corpus_.size() + 1 > maxTokens_ || t < 0) return false;
  extend(t);
  return true;
}

size_t SuffixAutomaton::memoryBytes() const {
  size_t outBytes = 0;
  for (const auto& v : out_) outBytes += v.capacity() * sizeof(Token) + sizeof(v);
  return states_.capacity() * sizeof(State) + outBytes + corpus_.capacity() * sizeof(Token) +
         edges_.size() * (sizeof(uint64_t) + sizeof(int32_t) + 2 * sizeof(void*)) + edges_.bucket_count() * sizeof(void*);
}

}  // namespace tandem
