// Prompt lookup decoding (Saxena 2023), the simplest retrieval drafter and a baseline: find the
// last n tokens (n = 3, then 2, then 1) earlier in prompt + generated text and copy the 10 tokens
// that followed the most recent occurrence. Linear drafts, fixed length, no calibration.
#pragma once

#include "engine/speculation/drafter.h"

namespace tandem {

class PldDrafter : public Drafter {
 public:
  explicit PldDrafter(int32_t maxNgram = 3, int32_t draftLength = 10) : maxNgram_(maxNgram), draftLength_(draftLength) {}
  void begin(const DraftCorpus&, const std::vector<llama_token>&) override {}
  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override;
  void feedback(const DraftTree&, const VerifyOutcome&) override {}
  const char* name() const override { return "pld"; }

 private:
  int32_t maxNgram_, draftLength_;
};

}  // namespace tandem
