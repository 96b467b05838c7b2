// The draft corpus of a session: the context documents the editor listed (tokenized once per
// version) and the session's earlier completions. Bounded: per-document and total token caps,
// a document count cap; whatever does not fit is cut and reported, never silently lost.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/speculation/drafter.h"

namespace tandem {

struct CorpusLimits {
  size_t maxDocumentBytes = 1u << 20;  // text beyond this is not tokenized (1 MiB)
  size_t maxDocumentTokens = 65536;    // tokens kept per document (the head)
  size_t maxTotalTokens = 262144;      // all documents together
  size_t maxDocuments = 256;           // listed documents beyond this are ignored
  size_t maxHistory = 16;              // earlier completions kept
  size_t maxHistoryTokens = 4096;
};

// A document as a request lists it (see ContextDocument in native.ts).
struct DocumentInput {
  std::string id;
  int64_t version = 0;
  DraftSource source = DraftSource::OtherFile;
  std::optional<std::string> text;
  std::optional<std::vector<llama_token>> tokens;  // pre-tokenized (benchmarks)
};

struct CorpusUpdate {
  std::vector<std::string> missing;  // listed without text, unknown at that version
  int32_t truncatedDocuments = 0;    // cut by a cap (bytes, tokens, total, count)
  int64_t droppedTokens = 0;         // tokens not kept because of the caps (estimate for bytes cut)
  double tokenizeMs = 0;
};

using Tokenizer = std::function<std::vector<llama_token>(std::string_view)>;

// How the model's fill-in-the-middle prompts are laid out: <prefix> P <suffix> S <middle> M, M being
// middle already written (anchored prompts; empty in the classic layout), the output continuing
// P + M. Drafters match the text before the cursor (P + M + output) instead of the raw prompt,
// whose S and <middle> never precede the output in the corpus. -1: no FIM tokens (plain prompts).
struct PromptLayout {
  llama_token fimSuffix = -1;
  llama_token fimMiddle = -1;
};

// Positions of a FIM prompt's <suffix> and <middle> tokens (the last <middle>, and the last
// <suffix> before it); found = false for a prompt without both (a plain or SPM prompt: it ends
// with the text before the cursor as it is).
struct FimParts {
  bool found = false;
  size_t suffix = 0;
  size_t middle = 0;
};
FimParts locateFimParts(const std::vector<llama_token>& prompt, const PromptLayout& layout);

class DraftCorpus {
 public:
  explicit DraftCorpus(CorpusLimits limits = {}) : limits_(limits) {}

  // Applies a request's document list: new/changed documents are tokenized, unlisted ones dropped.
  CorpusUpdate update(const std::vector<DocumentInput>& listed, const Tokenizer& tokenize);
  void addHistory(std::vector<llama_token> output);

  // Context documents in listing order.
  std::vector<const DraftDocument*> documents() const;
  const std::deque<std::vector<llama_token>>& history() const { return history_; }
  // Changes whenever the set or content of context documents changes (drafters rebuild then).
  uint64_t generation() const { return generation_; }

  size_t documentCount() const { return docs_.size(); }
  size_t tokenCount() const;
  size_t memoryBytes() const;
  const CorpusLimits& limits() const { return limits_; }
  void setPromptLayout(PromptLayout layout) { layout_ = layout; }
  const PromptLayout& promptLayout() const { return layout_; }

 private:
  CorpusLimits limits_;
  std::map<std::string, DraftDocument> docs_;
  std::vector<std::string> order_;
  std::deque<std::vector<llama_token>> history_;
  uint64_t generation_ = 0;
  PromptLayout layout_;
};

// Longest prefix of `text` of at most `maxBytes` that ends on a UTF-8 character boundary.
size_t utf8PrefixLength(std::string_view text, size_t maxBytes);

}  // namespace tandem
