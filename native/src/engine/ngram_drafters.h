// llama.cpp's n-gram drafters (ngram-simple, ngram-map-k, ngram-mod, ngram-cache) as baselines.
// Not in this build yet: linking llama-common (LLAMA_BUILD_COMMON) was not done, and no faithful
// re-implementation exists, so these modes are rejected with a clear INVALID_ARGUMENT.
#pragma once

#include <memory>

#include "engine/drafter.h"
#include "engine/speculation_stats.h"

namespace tandem {

std::unique_ptr<Drafter> makeNgramDrafter(SpeculationMode mode);

}  // namespace tandem
