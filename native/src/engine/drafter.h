// A draft proposer. The speculative strategy asks it for a tree each step, verifies a best-first
// prefix of that tree, and reports back what the model accepted.
#pragma once

#include <string>
#include <vector>

#include "engine/draft_tree.h"

namespace tandem {

// One document of the draft corpus, already tokenized.
struct DraftDocument {
  std::string id;
  int64_t version = 0;
  DraftSource source = DraftSource::OtherFile;
  std::vector<llama_token> tokens;
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // A new request: the corpus (context documents and history) and the prompt tokens.
  virtual void begin(const std::vector<const DraftDocument*>& corpus, const std::vector<llama_token>& prompt) = 0;
  // Proposes continuations of `sequence` (prompt + tokens committed so far), at most maxNodes.
  virtual DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) = 0;
  // What the model did with the (possibly truncated) tree returned by the last draft().
  virtual void feedback(const DraftTree& verified, const VerifyOutcome& outcome) = 0;
  virtual const char* name() const = 0;
};

}  // namespace tandem
