// Conversions between JS values and engine types, with argument checks that throw EngineError
// (INVALID_ARGUMENT, INVALID_UTF8) so they reach JS with a code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <napi.h>

#include "engine/decode/completion.h"
#include "engine/model/model.h"
#include "engine/runtime/llama_runtime.h"

namespace tandem::napi {

// A JS string as UTF-8; a string with an unpaired surrogate is rejected (INVALID_UTF8) instead of
// being silently replaced by U+FFFD.
std::string utf8FromJsString(const Napi::Value& value, const char* what);
// A string or a Uint8Array of UTF-8 bytes (validated later by the engine).
std::string textOrBytes(const Napi::Value& value, const char* what);

Napi::Object optionsObject(const Napi::CallbackInfo& info, size_t index, const char* what);
std::optional<double> optionalNumber(const Napi::Object& options, const char* key);
std::optional<bool> optionalBool(const Napi::Object& options, const char* key);
std::optional<std::string> optionalString(const Napi::Object& options, const char* key);

std::vector<PromptPart> promptFromJs(const Napi::Value& value);
std::vector<llama_token> tokensFromJs(const Napi::Value& value);
// ContextDocument[] (text optional); with allowTokens, {tokens: number[]} instead of text.
std::vector<DocumentInput> documentsFromJs(const Napi::Value& value, bool allowTokens = false);
Napi::Object speculationStatsToJs(Napi::Env env, const SpeculationStats& stats);
// The fields complete() and prefill() share: prompt, kvKey, documents.
void prefillRequestFromJs(const Napi::Object& request, PrefillRequest& out);

Napi::Array tokensToJs(Napi::Env env, const std::vector<llama_token>& tokens);
// A count map as [[key, count], …] (the budgets of SpeculationStats and of the drafting bench).
Napi::Array countsToJs(Napi::Env env, const std::map<int32_t, int32_t>& counts);
Napi::Object modelInfoToJs(Napi::Env env, const ModelInfo& info);
Napi::Object completionResultToJs(Napi::Env env, const CompletionResult& result);
Napi::Object prefillResultToJs(Napi::Env env, const PrefillResult& result);
Napi::Array devicesToJs(Napi::Env env, const std::vector<DeviceInfo>& devices);
// LoadOptions.device ('auto' | 'cpu' | 'gpu' | 'npu' | name, or {prefill, decode}),
// placementStrategy and threads → load options.
void deviceRequestFromJs(const Napi::Object& options, ModelLoadOptions& load);
Napi::Object placementToJs(Napi::Env env, const Placement& placement);

}  // namespace tandem::napi
