#include "engine/ngram_drafters.h"

#include "engine/engine_error.h"

namespace tandem {

std::unique_ptr<Drafter> makeNgramDrafter(SpeculationMode mode) {
  throw EngineError(ErrorCode::InvalidArgument, std::string("speculation mode '") + speculationModeName(mode) +
                                                    "' (llama.cpp's n-gram drafters) is not available in this build; use off, pld, sam or auto");
}

}  // namespace tandem
