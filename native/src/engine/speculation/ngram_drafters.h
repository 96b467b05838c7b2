// llama.cpp's own n-gram drafters (ngram-simple, ngram-map-k, ngram-mod, ngram-cache) as in-process
// baselines: llama.cpp's common/ngram-{map,mod,cache}.cpp compiled as they are (the
// tandem_llama_ngram target), each behind a Drafter adapter that drives it the way
// common/speculative.cpp does (begin with the prompt, draft from the token history + the last
// sampled token, accept with the number of accepted tokens). Linear drafts (a one-path tree),
// verified whole; they see what llama.cpp's drafters see: prompt and generated tokens (ngram-cache
// also the session's earlier completions, as llama-lookup's dynamic cache), not the context
// documents.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/speculation/drafter.h"
#include "engine/speculation/speculation_stats.h"

namespace tandem {

// Parameters, sized for a CPU where verifying a token costs 0.35–0.7 × T(1) (facts: T(8) ≈
// 4.7·T(1)): drafts capped at 8 tokens instead of llama.cpp's GPU defaults of 48–64.
struct NgramDrafterOptions {
  // ngram-simple / ngram-map-k: key n-gram of sizeN tokens (llama.cpp default 12; its drafts need
  // at least sizeN tokens after a match, so sizeN ≤ sizeM), draft of up to sizeM tokens (default
  // 48), minHits occurrences of the key before ngram-map-k drafts (default 1).
  uint16_t sizeN = 4;
  uint16_t sizeM = 8;
  uint16_t minHits = 1;
  // ngram-mod: hashed n-gram pool keyed by nMatch tokens, drafts of nMin..nMax tokens (defaults
  // 24 / 48 / 64; 4 / 2 / 8 is what ran faster than no speculation on this CPU, see facts).
  int32_t modMatch = 4;
  int32_t modMin = 2;
  int32_t modMax = 8;
  // ngram-cache: llama.cpp hard-codes 8 draft tokens and n-grams of 1..4 (LLAMA_NGRAM_MIN/MAX).
};

// The drafter for one of the four ngram-* modes; throws InvalidArgument for any other mode.
std::unique_ptr<Drafter> makeNgramDrafter(SpeculationMode mode, const NgramDrafterOptions& options = {});

}  // namespace tandem
