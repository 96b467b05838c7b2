#include "engine/placement/kv_handover.h"

#include <algorithm>
#include <chrono>

#include "engine/decode/kv_reuse.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"

namespace tandem {
HandoverReport prefillWithHandover(InferenceContext& prefill, InferenceContext& decode, const std::vector<llama_token>& prompt,
                                   size_t reused, int32_t chunk, const CancelFlag& cancel) {
  HandoverReport report;
  if (reused >= prompt.size() || decode.evaluated().size() != reused) {
    throw EngineError(ErrorCode::Internal, "hand-over prefill needs the decode context to hold exactly the reused prefix");
  }
  ScopedWatch watching(prefill, cancel);
  auto timed = [&](auto&& work) {
    const auto start = std::chrono::steady_clock::now();
    work();
    report.transferMs += msSince(start);
  };

  // 1. Catch up: the prefill context keeps what it shares with the decode context and copies the
  //    rest (usually the previous completion's tokens, computed by the decode context).
  const size_t shared = std::min(commonPrefixLength(prefill.evaluated(), decode.evaluated()), reused);
  prefill.truncate(shared);
  if (shared < reused) {
    timed([&] {
      const std::vector<uint8_t> state = decode.exportKv(shared, reused);
      prefill.importKv(state, decode.evaluated().data() + shared, reused - shared);
      report.bytes += static_cast<int64_t>(state.size());
    });
    report.syncedBack = static_cast<int32_t>(reused - shared);
  }

  // 2. Evaluate chunk i+1 on the prefill device before importing chunk i on the decode side: on an
  //    asynchronous backend the device computes while the CPU imports (one thread owns both).
  const size_t step = static_cast<size_t>(std::max<int32_t>(1, chunk));
  std::vector<uint8_t> landing;  // exported, not yet imported
  size_t landingFrom = 0, landingTo = 0;
  auto land = [&] {
    if (landingTo == landingFrom) return;
    timed([&] { decode.importKv(landing, prompt.data() + landingFrom, landingTo - landingFrom); });
    report.bytes += static_cast<int64_t>(landing.size());
    ++report.chunks;
    landingFrom = landingTo;
  };
  for (size_t from = reused; from < prompt.size(); from += step) {
    const size_t to = std::min(prompt.size(), from + step);
    if (prefill.append(prompt.data() + from, to - from) == DecodeStatus::Aborted) {
      land();  // what was handed over stays usable for the next request's prefix reuse
      report.status = DecodeStatus::Aborted;
      return report;
    }
    land();
    timed([&] { landing = prefill.exportKv(from, to); });
    landingFrom = from;
    landingTo = to;
  }
  // The last prompt token's logits pick the first generated token; they come with the last chunk.
  const float* logits = prefill.lastLogits();
  if (!logits) throw EngineError(ErrorCode::Internal, "the prefill context has no logits for the last prompt token");
  std::vector<float> handed(logits, logits + prefill.model().vocabSize());
  land();
  decode.adoptLogits(std::move(handed));
  return report;
}

}  // namespace tandem
