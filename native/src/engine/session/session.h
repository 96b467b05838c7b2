// A session: one llama_context owned by one dedicated thread, serving requests in order.
// complete()/prefill()/reset() run on that thread; callers queue work with post(). The session
// also owns the draft corpus (context documents + its completion history), one drafter per
// speculative mode (their calibration persists across requests), the T(k) cost curve and the
// saved KV of the documents it served recently (document_kv_store.h).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/decode/completion.h"
#include "engine/decode/document_kv_store.h"
#include "engine/decode/inference_context.h"
#include "engine/runtime/task_thread.h"
#include "engine/speculation/cost_model.h"
#include "engine/speculation/draft_corpus.h"
#include "engine/speculation/drafter.h"

namespace tandem {

// A drafter for a mode (nullptr for Off).
std::unique_ptr<Drafter> makeDrafter(SpeculationMode mode);

class HandoverPrefill;

class Session {
 public:
  Session(std::shared_ptr<const Model> model, const ContextOptions& options, const DocumentKvLimits& documentKv = {});
  ~Session();  // = shutdown()

  // Queues a task for the session thread; false after shutdown().
  bool post(std::function<void()> task) { return thread_.post(std::move(task)); }

  // Session thread only.
  CompletionResult complete(const CompletionRequest& request, const CancelFlag& cancel, const TextSink& onText);
  // Evaluates a prompt as complete() would, without generating (pre-warms the cache).
  PrefillResult prefill(const PrefillRequest& request, const CancelFlag& cancel);
  // Forgets the KV cache, the saved documents' KV included.
  void reset();

  // Any thread.
  std::vector<llama_token> cachedTokens() const { return context_->evaluatedSnapshot(); }
  int32_t contextSize() const { return context_->contextSize(); }
  // Aborts the running request (it resolves as cancelled), runs what is queued, stops the thread
  // and frees the context. Idempotent; blocks until done, so not on the JS thread.
  void shutdown();

 private:
  Drafter& drafterFor(SpeculationMode mode);
  void notePlacement(CompletionStats& stats, bool handedOver) const;
  CorpusUpdate updateCorpus(const std::optional<std::vector<DocumentInput>>& documents);
  PrefillExecutor* prefillExecutor() const;
  // The per-document KV policy, before a request's prefix reuse is computed: saves what the context
  // holds under currentKey_ when the request is for another document, restores the request's
  // document when its saved tokens share more of the prompt than the context does.
  // keepCurrent (a pre-warm that may never be used): nothing of the document's KV is lost — what the
  // context holds is saved even when it is the same document's, and the document's saved KV stays
  // when this prompt does not restore it — so the request that still needs it restores it.
  void switchDocument(const std::string& key, bool keepCurrent, const std::vector<llama_token>& prompt, CompletionStats& stats);
  BeforePrefill documentSwitch(const std::string& key, bool keepCurrent = false);

  std::unique_ptr<InferenceContext> context_;
  // Prefill context of a 'handover' placement (nullptr otherwise); see session.cpp for its
  // background warm-up on static-shape devices.
  std::unique_ptr<HandoverPrefill> handover_;
  GreedyStrategy greedy_;
  DraftCorpus corpus_;
  std::map<SpeculationMode, std::unique_ptr<Drafter>> drafters_;
  std::optional<CostCurveSource> cost_;
  DocumentKvStore documents_;
  std::string currentKey_;  // the document whose KV sequence 0 holds ("" = none named)
  TaskThread thread_;       // declared last: stopped first, while the context still exists
};

}  // namespace tandem
