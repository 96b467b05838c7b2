// Suffix automaton over token ids: the draft index of retrieval-based speculative decoding
// (as in SAM-Decoding). It holds every document of the draft corpus; for the sequence being
// generated it tracks, in amortized O(1) per token, the longest suffix that occurs in the corpus,
// and from there lists the tokens that followed that suffix in the corpus (with how often), which
// is what a draft tree is grown from. Documents are separated by unique negative ids so no match
// spans two documents. Deleting text is not supported: the owner rebuilds when documents change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tandem {

class SuffixAutomaton {
 public:
  using Token = int32_t;

  struct Match {
    int32_t state = 0;   // automaton state of the longest matching suffix
    int32_t length = 0;  // its length in tokens (0 = no match)
  };

  struct Continuation {
    Token token;
    int32_t state;   // state after appending `token` to the match
    uint32_t count;  // occurrences of match+token in the corpus (after finalize())
  };

  SuffixAutomaton();

  // Appends one document (tokens must be >= 0). Returns false (and adds nothing) when the
  // corpus would exceed maxTokens.
  bool addDocument(const std::vector<Token>& tokens);
  void clear();
  // Computes occurrence counts; call after adding documents and before counting continuations.
  void finalize();

  // Extends `m` by `token` (the next token of the generated sequence): follows suffix links
  // until a transition exists, so the result is the longest suffix of sequence+token in the corpus.
  Match advance(Match m, Token token) const;
  // Longest corpus suffix match of a whole sequence (advance() over it).
  Match match(const std::vector<Token>& sequence) const;

  // Distinct next tokens after the matched text, most frequent first.
  std::vector<Continuation> continuations(int32_t state) const;
  // The `k` most frequent of them (cheap for states with thousands of out-edges).
  std::vector<Continuation> topContinuations(int32_t state, size_t k) const;

  // Extends the last document by one token (online: the request index grows with the generated
  // text). Counts of states touched afterwards are stale until finalize(); drafting tolerates
  // that (counts only rank siblings). False when the corpus is full.
  bool appendToken(Token t);
  // The state of the whole corpus so far (its end has no continuation yet).
  int32_t lastState() const { return last_; }
  int32_t suffixLink(int32_t state) const { return states_[state].link; }
  int32_t stateLength(int32_t state) const { return states_[state].len; }
  uint32_t stateCount(int32_t state) const { return states_[state].count; }
  int32_t transition(int32_t state, Token t) const { return next(state, t); }
  bool hasContinuation(int32_t state) const;
  // One occurrence's end position in the corpus (index of its last token), for copying
  // a linear continuation; -1 for the root.
  int64_t endPosition(int32_t state) const { return states_[state].endPos; }
  // The corpus (documents and separators), for copying continuations.
  const std::vector<Token>& corpus() const { return corpus_; }

  size_t sizeTokens() const { return corpus_.size(); }
  size_t numStates() const { return states_.size(); }
  size_t memoryBytes() const;
  void setMaxTokens(size_t n) { maxTokens_ = n; }
  size_t maxTokens() const { return maxTokens_; }

 private:
  struct State {
    int32_t len = 0;
    int32_t link = -1;
    int64_t endPos = -1;
    uint32_t count = 0;  // |endpos| after finalize()
    bool cloned = false;
  };

  static uint64_t edgeKey(int32_t state, Token t) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(state)) << 32) | static_cast<uint32_t>(t);
  }
  int32_t next(int32_t state, Token t) const;
  void extend(Token t);

  std::vector<State> states_;
  std::unordered_map<uint64_t, int32_t> edges_;
  // Outgoing tokens per state, so continuations() need not scan all edges.
  std::vector<std::vector<Token>> out_;
  std::vector<Token> corpus_;
  int32_t last_ = 0;
  int32_t nextSeparator_ = -1;
  size_t maxTokens_ = 1u << 20;
};

}  // namespace tandem
