#include "engine/model/chat_template.h"

#include "engine/runtime/engine_error.h"

namespace tandem {

std::string applyChatTemplate(const Model& model, const std::vector<ChatMessage>& messages, bool addAssistantTurn) {
  const auto& tmpl = model.info().chatTemplate;
  if (!tmpl) throw EngineError(ErrorCode::InvalidArgument, "the model has no chat template");
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  size_t chars = 0;
  for (const auto& m : messages) {
    chat.push_back({m.role.c_str(), m.content.c_str()});
    chars += m.role.size() + m.content.size();
  }
  std::string out(2 * chars + 256, '\0');
  int32_t n =
      llama_chat_apply_template(tmpl->c_str(), chat.data(), chat.size(), addAssistantTurn, out.data(), static_cast<int32_t>(out.size()));
  if (n > static_cast<int32_t>(out.size())) {
    out.resize(n);
    n = llama_chat_apply_template(tmpl->c_str(), chat.data(), chat.size(), addAssistantTurn, out.data(), n);
  }
  if (n < 0) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "llama.cpp does not support this model's chat template; use an instruct model with a common template");
  }
  out.resize(n);
  return out;
}

}  // namespace tandem
