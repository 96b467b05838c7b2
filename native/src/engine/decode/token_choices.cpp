#include "engine/decode/token_choices.h"

namespace tandem {

TokenChoices topChoices(const float* logits, int32_t vocabSize) {
  TokenChoices best;
  int32_t held = 0;
  for (int32_t id = 0; id < vocabSize; ++id) {
    const float v = logits[id];
    // Strictly greater displaces: an equal logit stays behind the lower id already held.
    if (held == kTokenChoices && !(v > best.logits[kTokenChoices - 1])) continue;
    int32_t slot = held < kTokenChoices ? held++ : kTokenChoices - 1;
    for (; slot > 0 && v > best.logits[slot - 1]; --slot) {
      best.tokens[slot] = best.tokens[slot - 1];
      best.logits[slot] = best.logits[slot - 1];
    }
    best.tokens[slot] = id;
    best.logits[slot] = v;
  }
  return best;
}

}  // namespace tandem
