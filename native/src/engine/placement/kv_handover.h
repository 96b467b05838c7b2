// Prefill on one context, decode on another: the 'handover' placement (device_selection.h). The
// prefill context (its own model instance, on the prefill device) evaluates the prompt in chunks;
// after each chunk its KV entries travel to the decode context (llama_state_seq_get_data /
// set_data), so decoding can start as soon as the last chunk lands, and the last prompt token's
// logits are handed over with it. Both contexts are used by the session's thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/decode/inference_context.h"
#include "engine/runtime/cancel_flag.h"

namespace tandem {

struct HandoverReport {
  DecodeStatus status = DecodeStatus::Ok;
  int32_t chunks = 0;
  int64_t bytes = 0;       // KV state moved, both directions
  double transferMs = 0;   // export + import time (the part of prefill that hand-over adds)
  int32_t syncedBack = 0;  // tokens whose KV went decode → prefill first (generated tokens of the previous request)
};

// Makes `decode` hold prompt[0..n) with the logits of prompt[n-1] current, given that it holds
// prompt[0..reused) already (reused < n). The prefill context first catches up to the same
// [0..reused) — reusing what it holds, taking the rest from the decode context — so both caches
// stay byte-identical over the shared prefix and KV prefix reuse keeps working. `chunk` tokens are
// evaluated (and handed over) at a time; a static-shape device passes its compiled shape.
// Cancelled (the flag, or shutdown of either context): Aborted, with each context's token list
// still exact.
HandoverReport prefillWithHandover(InferenceContext& prefill, InferenceContext& decode, const std::vector<llama_token>& prompt,
                                   size_t reused, int32_t chunk, const CancelFlag& cancel);

}  // namespace tandem
