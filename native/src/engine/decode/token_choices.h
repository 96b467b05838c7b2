// The best few tokens of one logit row, recorded for each generated token when a request asks for
// alternatives (alternatives.h): where the model was unsure, and which siblings it weighed.
#pragma once

#include <array>
#include <cstdint>

#include "llama.h"

namespace tandem {

// The greedy token and the two siblings an alternative may branch to.
constexpr int32_t kTokenChoices = 3;

struct TokenChoices {
  // Best first, -1 where the vocabulary is smaller. Ties go to the lower id, as in argmaxToken, so
  // tokens[0] is always the token greedy decoding picks from the same row.
  std::array<llama_token, kTokenChoices> tokens{-1, -1, -1};
  std::array<float, kTokenChoices> logits{};
};

// One pass over the row (about as cheap as the argmax itself).
TokenChoices topChoices(const float* logits, int32_t vocabSize);

}  // namespace tandem
