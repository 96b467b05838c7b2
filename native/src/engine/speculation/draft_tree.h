// The contract between drafters (which propose continuations) and the tree verifier (which
// checks them with the model in one llama_decode). Shared by every speculative mode.
#pragma once

#include <cstdint>
#include <vector>

#include "llama.h"

namespace tandem {

// Where a draft token was copied from; calibration keeps acceptance statistics per source.
enum class DraftSource : uint8_t {
  Prompt = 0,      // the request's own prompt (prefix/suffix of the file being edited)
  SameFile = 1,    // the current file as a context document
  OtherFile = 2,   // other open files
  RecentEdit = 3,  // recently edited snippets
  History = 4,     // earlier completions of this session
  Extension = 5,   // a stretch of a rejected draft the model agreed with (paper Eq. 3)
  Model = 6,       // the model's own predictions (prefill predictions over the context)
};
constexpr int kDraftSourceCount = 7;

struct DraftNode {
  llama_token token = -1;
  // index of the parent node in DraftTree::nodes; -1 = child of the root (the last committed
  // token, which the verifier always evaluates first)
  int32_t parent = -1;
  // calibrated probability that the whole path root→this node is accepted
  float pathProb = 0.f;
  DraftSource source = DraftSource::Prompt;
};

// Nodes are ordered best-first by pathProb with every parent before its children, so any prefix
// of `nodes` is itself a valid tree: the budget chooser keeps the first k nodes.
struct DraftTree {
  std::vector<DraftNode> nodes;
  bool empty() const { return nodes.empty(); }
  int32_t depthOf(int32_t node) const {
    int32_t d = 0;
    for (int32_t i = node; i >= 0; i = nodes[i].parent) ++d;
    return d;
  }
};

// What verification found, handed back to the drafter so it can calibrate and extend.
struct VerifyOutcome {
  // indices (into the verified tree) of the accepted path, root-side first
  std::vector<int32_t> acceptedPath;
  // the model's greedy token after the root ([0]) and after each verified node ([i + 1])
  std::vector<llama_token> predicted;
  // tokens committed this step: accepted draft tokens + the model's own next token
  std::vector<llama_token> committed;
};

}  // namespace tandem
