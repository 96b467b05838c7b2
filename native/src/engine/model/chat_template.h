// Formats a conversation with the model's own chat template (the GGUF's tokenizer.chat_template),
// through llama.cpp's built-in template renderer.
#pragma once

#include <string>
#include <vector>

#include "engine/model/model.h"

namespace tandem {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

// Throws EngineError(InvalidArgument) when the model has no chat template or llama.cpp does not
// know its template.
std::string applyChatTemplate(const Model& model, const std::vector<ChatMessage>& messages, bool addAssistantTurn);

}  // namespace tandem
