#include <map>
#include <random>

#include "engine/speculation/suffix_automaton.h"
#include "test_runner.h"

using namespace tandem;

namespace {
// brute force: longest suffix of seq occurring in some doc; next-token counts after it
int bruteLen(const std::vector<std::vector<int>>& docs, const std::vector<int>& seq) {
  for (int L = (int)seq.size(); L > 0; --L) {
    for (auto& d : docs)
      for (size_t i = 0; i + L <= d.size(); ++i) {
        bool ok = true;
        for (int j = 0; j < L && ok; ++j) ok = d[i + j] == seq[seq.size() - L + j];
        if (ok) return L;
      }
  }
  return 0;
}
std::map<int, unsigned> bruteNext(const std::vector<std::vector<int>>& docs, const std::vector<int>& seq, int L) {
  std::map<int, unsigned> m;
  for (auto& d : docs)
    for (size_t i = 0; i + L < d.size(); ++i) {
      bool ok = true;
      for (int j = 0; j < L && ok; ++j) ok = d[i + j] == seq[seq.size() - L + j];
      if (ok) m[d[i + L]]++;
    }
  return m;
}
}  // namespace

TEST("suffix automaton: matches and continuations equal a brute-force search") {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    int alpha = 2 + trial % 6;
    std::vector<std::vector<int>> docs(1 + trial % 4);
    SuffixAutomaton sam;
    for (auto& d : docs) {
      d.resize(rng() % 40);
      for (auto& t : d) t = static_cast<int>(rng() % alpha);
      CHECK(sam.addDocument(d));
    }
    sam.finalize();
    std::vector<int> prefix;
    SuffixAutomaton::Match m;
    const int n = static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      const int t = static_cast<int>(rng() % alpha);
      prefix.push_back(t);
      m = sam.advance(m, t);
      const int len = bruteLen(docs, prefix);
      CHECK_EQ(m.length, len);
      if (len == 0) continue;
      std::map<int, unsigned> got;
      for (const auto& c : sam.continuations(m.state)) got[c.token] = c.count;
      CHECK(got == bruteNext(docs, prefix, len));
      const int64_t e = sam.endPosition(m.state);
      for (int j = 0; j < len; ++j) CHECK_EQ(sam.corpus()[e - j], prefix[prefix.size() - 1 - j]);
    }
  }
}

TEST("suffix automaton: no match spans two documents") {
  SuffixAutomaton sam;
  sam.addDocument({1, 2});
  sam.addDocument({3, 4});
  sam.finalize();
  CHECK_EQ(sam.match({2, 3}).length, 1);
  CHECK_EQ(sam.match({1, 2}).length, 2);
  CHECK(sam.continuations(sam.match({2}).state).empty());  // only the separator followed "2"
}

TEST("suffix automaton: the corpus is bounded") {
  SuffixAutomaton sam;
  sam.setMaxTokens(100);
  CHECK(sam.addDocument(std::vector<int>(60, 1)));
  CHECK(!sam.addDocument(std::vector<int>(60, 2)));
  CHECK_EQ(sam.sizeTokens(), size_t(60));
  CHECK(sam.memoryBytes() > 0);
}
