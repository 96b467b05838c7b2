#include "engine/session.h"

namespace tandem {

Session::Session(std::shared_ptr<const Model> model, const ContextOptions& options)
    : context_(std::make_unique<InferenceContext>(std::move(model), options)) {}

Session::~Session() { shutdown(); }

CompletionResult Session::complete(const CompletionRequest& request, const CancelFlag& cancel, const TextSink& onText) {
  return runCompletion(*context_, request, cancel, onText, greedy_);
}

void Session::shutdown() {
  context_->shutdown();
  thread_.stop();
}

}  // namespace tandem
