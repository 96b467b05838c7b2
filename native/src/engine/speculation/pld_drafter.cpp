#include "engine/speculation/pld_drafter.h"

#include <algorithm>

namespace tandem {

DraftTree PldDrafter::draft(const std::vector<llama_token>& seq, int32_t maxNodes) {
  DraftTree tree;
  const int64_t size = static_cast<int64_t>(seq.size());
  const int32_t length = std::min(maxNodes, draftLength_);
  if (length <= 0) return tree;
  for (int32_t n = maxNgram_; n >= 1; --n) {
    if (size <= n) continue;
    const llama_token* tail = seq.data() + size - n;
    for (int64_t i = size - n - 1; i >= 0; --i) {  // most recent earlier occurrence first
      if (!std::equal(tail, tail + n, seq.data() + i)) continue;
      const int64_t from = i + n;
      const int64_t to = std::min<int64_t>(from + length, size);
      for (int64_t j = from; j < to; ++j) {
        tree.nodes.push_back(DraftNode{seq[j], static_cast<int32_t>(tree.nodes.size()) - 1, 0.5f, DraftSource::Prompt});
      }
      return tree;
    }
  }
  return tree;
}

}  // namespace tandem
