// A session: one llama_context owned by one dedicated thread, serving requests in order.
// complete()/reset() run on that thread; callers queue work with post().
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "engine/completion.h"
#include "engine/inference_context.h"
#include "engine/task_thread.h"

namespace tandem {

class Session {
 public:
  Session(std::shared_ptr<const Model> model, const ContextOptions& options);
  ~Session();  // = shutdown()

  // Queues a task for the session thread; false after shutdown().
  bool post(std::function<void()> task) { return thread_.post(std::move(task)); }

  // Session thread only.
  CompletionResult complete(const CompletionRequest& request, const CancelFlag& cancel, const TextSink& onText);
  void reset() { context_->clear(); }

  // Any thread.
  std::vector<llama_token> cachedTokens() const { return context_->evaluatedSnapshot(); }
  int32_t contextSize() const { return context_->contextSize(); }
  // Aborts the running request (it resolves as cancelled), runs what is queued, stops the thread
  // and frees the context. Idempotent; blocks until done, so not on the JS thread.
  void shutdown();

 private:
  std::unique_ptr<InferenceContext> context_;
  GreedyStrategy greedy_;
  TaskThread thread_;  // declared last: stopped first, while the context still exists
};

}  // namespace tandem
