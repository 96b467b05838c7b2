#include "napi/js_convert.h"

#include <cmath>

#include "engine/runtime/engine_error.h"
#include "engine/runtime/request_validation.h"
#include "engine/runtime/utf8.h"

namespace tandem::napi {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw EngineError(ErrorCode::InvalidArgument, message); }

}  // namespace

std::string utf8FromJsString(const Napi::Value& value, const char* what) {
  if (!value.IsString()) invalid(std::string(what) + " must be a string");
  const std::u16string utf16 = value.As<Napi::String>().Utf16Value();
  if (auto bad = findLoneSurrogate(utf16.data(), utf16.size())) {
    throw EngineError(ErrorCode::InvalidUtf8, std::string(what) + " contains an unpaired surrogate at index " + std::to_string(*bad) +
                                                  " (not well-formed Unicode)");
  }
  return value.As<Napi::String>().Utf8Value();
}

std::string textOrBytes(const Napi::Value& value, const char* what) {
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    if (array.TypedArrayType() != napi_uint8_array) invalid(std::string(what) + " must be a string or a Uint8Array");
    auto bytes = value.As<Napi::Uint8Array>();
    return std::string(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  }
  return utf8FromJsString(value, what);
}

Napi::Object optionsObject(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return Napi::Object::New(info.Env());
  if (!info[index].IsObject()) invalid(std::string(what) + " must be an object");
  return info[index].As<Napi::Object>();
}

std::optional<double> optionalNumber(const Napi::Object& options, const char* key) {
  Napi::Value v = options.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsNumber()) invalid(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::optional<bool> optionalBool(const Napi::Object& options, const char* key) {
  Napi::Value v = options.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsBoolean()) invalid(std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::optional<std::string> optionalString(const Napi::Object& options, const char* key) {
  Napi::Value v = options.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return utf8FromJsString(v, key);
}

static llama_token tokenFromJs(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) invalid(std::string(what) + " must be a number (token id)");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 2147483647.0) {
    invalid(std::string(what) + " must be a non-negative whole number (token id)");
  }
  return static_cast<llama_token>(d);
}

std::vector<PromptPart> promptFromJs(const Napi::Value& value) {
  if (!value.IsArray()) invalid("prompt must be an array of parts (strings, token ids or {text, parseSpecial: true})");
  auto array = value.As<Napi::Array>();
  std::vector<PromptPart> parts;
  parts.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    PromptPart part;
    if (item.IsString()) {
      part.kind = PromptPart::Kind::Text;
      part.text = utf8FromJsString(item, "prompt text");
    } else if (item.IsNumber()) {
      part.kind = PromptPart::Kind::Token;
      part.token = tokenFromJs(item, "prompt token");
    } else if (item.IsObject()) {
      auto obj = item.As<Napi::Object>();
      part.text = utf8FromJsString(obj.Get("text"), "prompt part text");
      part.kind = obj.Get("parseSpecial").ToBoolean().Value() ? PromptPart::Kind::SpecialText : PromptPart::Kind::Text;
    } else {
      invalid("prompt part " + std::to_string(i) + " must be a string, a token id or {text, parseSpecial: true}");
    }
    parts.push_back(std::move(part));
  }
  return parts;
}

std::vector<llama_token> tokensFromJs(const Napi::Value& value) {
  if (!value.IsArray()) invalid("tokens must be an array of token ids");
  auto array = value.As<Napi::Array>();
  std::vector<llama_token> tokens(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) tokens[i] = tokenFromJs(array.Get(i), "token");
  return tokens;
}

std::vector<DocumentInput> documentsFromJs(const Napi::Value& value, bool allowTokens) {
  if (!value.IsArray()) invalid("documents must be an array of {id, version, source, text?}");
  auto array = value.As<Napi::Array>();
  std::vector<DocumentInput> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsObject()) invalid("documents[" + std::to_string(i) + "] must be an object {id, version, source, text?}");
    auto o = item.As<Napi::Object>();
    DocumentInput d;
    d.id = utf8FromJsString(o.Get("id"), "document id");
    auto version = optionalNumber(o, "version");
    if (!version || !std::isfinite(*version)) invalid("documents[" + std::to_string(i) + "].version must be a number");
    d.version = static_cast<int64_t>(*version);
    const std::string source = optionalString(o, "source").value_or("otherFile");
    if (source == "sameFile")
      d.source = DraftSource::SameFile;
    else if (source == "otherFile" || source == "clipboard")
      d.source = DraftSource::OtherFile;
    else if (source == "recentEdit")
      d.source = DraftSource::RecentEdit;
    else if (source == "history")
      d.source = DraftSource::History;
    else
      invalid("documents[" + std::to_string(i) + "].source must be sameFile, otherFile, recentEdit, clipboard or history");
    Napi::Value text = o.Get("text");
    if (!text.IsUndefined() && !text.IsNull()) d.text = utf8FromJsString(text, "document text");
    if (allowTokens) {
      Napi::Value tokens = o.Get("tokens");
      if (!tokens.IsUndefined() && !tokens.IsNull()) d.tokens = tokensFromJs(tokens);
    }
    out.push_back(std::move(d));
  }
  return out;
}

void prefillRequestFromJs(const Napi::Object& req, PrefillRequest& out) {
  out.prompt = promptFromJs(req.Get("prompt"));
  if (auto key = optionalString(req, "kvKey")) {
    if (key->size() > kMaxKvKeyBytes) {
      invalid("kvKey must be at most " + std::to_string(kMaxKvKeyBytes) + " bytes of UTF-8, got " + std::to_string(key->size()));
    }
    out.kvKey = std::move(*key);
  }
  Napi::Value documents = req.Get("documents");
  if (!documents.IsUndefined() && !documents.IsNull()) out.documents = documentsFromJs(documents);
}

Napi::Object speculationStatsToJs(Napi::Env env, const SpeculationStats& st) {
  auto o = Napi::Object::New(env);
  o.Set("mode", speculationModeName(st.mode));
  o.Set("steps", st.steps);
  o.Set("draftedTokens", st.draftedTokens);
  o.Set("acceptedTokens", st.acceptedTokens);
  auto hist = Napi::Array::New(env, st.acceptedHistogram.size());
  for (uint32_t i = 0; i < st.acceptedHistogram.size(); ++i) hist.Set(i, st.acceptedHistogram[i]);
  o.Set("acceptedHistogram", hist);
  o.Set("meanTreeSize", st.draftSteps ? static_cast<double>(st.treeNodesTotal) / st.draftSteps : 0.0);
  o.Set("draftMs", st.draftMs);
  o.Set("verifyMs", st.verifyMs);
  o.Set("sampleMs", st.sampleMs);
  o.Set("budgets", countsToJs(env, st.budgets));
  o.Set("corpusDocuments", st.corpusDocuments);
  o.Set("corpusTokens", Napi::Number::New(env, static_cast<double>(st.corpusTokens)));
  o.Set("corpusBytes", Napi::Number::New(env, static_cast<double>(st.corpusBytes)));
  auto missing = Napi::Array::New(env, st.missingDocuments.size());
  for (uint32_t j = 0; j < st.missingDocuments.size(); ++j) missing.Set(j, st.missingDocuments[j]);
  o.Set("missingDocuments", missing);
  o.Set("truncatedDocuments", st.truncatedDocuments);
  o.Set("droppedTokens", Napi::Number::New(env, static_cast<double>(st.droppedTokens)));
  o.Set("tokenizeMs", st.tokenizeMs);
  o.Set("documentIndexMs", st.documentIndexMs);
  o.Set("requestIndexMs", st.requestIndexMs);
  o.Set("indexBytes", Napi::Number::New(env, static_cast<double>(st.indexBytes)));
  o.Set("costOrigin", st.costOrigin);
  o.Set("costMeasureMs", st.costMeasureMs);
  auto curve = Napi::Array::New(env, st.costCurve.size());
  for (uint32_t j = 0; j < st.costCurve.size(); ++j) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, st.costCurve[j].first);
    pair.Set(1u, st.costCurve[j].second);
    curve.Set(j, pair);
  }
  o.Set("costCurve", curve);
  return o;
}

Napi::Array tokensToJs(Napi::Env env, const std::vector<llama_token>& tokens) {
  auto array = Napi::Array::New(env, tokens.size());
  for (uint32_t i = 0; i < tokens.size(); ++i) array.Set(i, Napi::Number::New(env, tokens[i]));
  return array;
}

Napi::Object modelInfoToJs(Napi::Env env, const ModelInfo& m) {
  auto o = Napi::Object::New(env);
  o.Set("path", m.path);
  o.Set("architecture", m.architecture);
  o.Set("name", m.name);
  o.Set("description", m.description);
  o.Set("quantization", m.quantization);
  o.Set("fileSizeBytes", Napi::Number::New(env, static_cast<double>(m.fileSizeBytes)));
  o.Set("sizeBytes", Napi::Number::New(env, static_cast<double>(m.sizeBytes)));
  o.Set("parameters", Napi::Number::New(env, static_cast<double>(m.parameters)));
  o.Set("contextLength", m.contextLength);
  o.Set("embeddingLength", m.embeddingLength);
  o.Set("layers", m.layers);
  o.Set("vocabSize", m.vocabSize);
  o.Set("bos", m.bos);
  o.Set("eos", m.eos);
  o.Set("eot", m.eot);
  auto fim = Napi::Object::New(env);
  fim.Set("prefix", m.fim.prefix);
  fim.Set("suffix", m.fim.suffix);
  fim.Set("middle", m.fim.middle);
  fim.Set("pad", m.fim.pad);
  fim.Set("repo", m.fim.repo);
  fim.Set("sep", m.fim.sep);
  o.Set("fim", fim);
  auto fimText = Napi::Object::New(env);
  fimText.Set("prefix", m.fimPrefixText);
  fimText.Set("suffix", m.fimSuffixText);
  fimText.Set("middle", m.fimMiddleText);
  o.Set("addBos", m.addBos);
  o.Set("fimText", fimText);
  o.Set("chatTemplate", m.chatTemplate ? Napi::Value(Napi::String::New(env, *m.chatTemplate)) : env.Null());
  o.Set("placement", placementToJs(env, m.placement));
  return o;
}

Napi::Array countsToJs(Napi::Env env, const std::map<int32_t, int32_t>& counts) {
  auto out = Napi::Array::New(env, counts.size());
  uint32_t i = 0;
  for (auto [key, count] : counts) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, key);
    pair.Set(1u, count);
    out.Set(i++, pair);
  }
  return out;
}

namespace {

Napi::Object documentKvStatsToJs(Napi::Env env, const DocumentKvStats& st) {
  auto o = Napi::Object::New(env);
  o.Set("documents", st.documents);
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(st.bytes)));
  o.Set("limitBytes", Napi::Number::New(env, static_cast<double>(st.limitBytes)));
  o.Set("maxDocuments", st.maxDocuments);
  return o;
}

// The per-document KV figures of CompletionStats and PrefillResult.
void setDocumentKvStats(Napi::Env env, Napi::Object& o, const CompletionStats& st) {
  o.Set("restoredTokens", st.restoredTokens);
  o.Set("kvSwitchMs", st.kvSwitchMs);
  o.Set("documentKv", documentKvStatsToJs(env, st.documentKv));
}

}  // namespace

Napi::Object prefillResultToJs(Napi::Env env, const PrefillResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("promptTokens", r.stats.promptTokens);
  o.Set("reusedTokens", r.stats.reusedTokens);
  o.Set("prefillMs", r.stats.prefillMs);
  o.Set("cancelled", r.cancelled);
  setDocumentKvStats(env, o, r.stats);
  return o;
}

Napi::Object completionResultToJs(Napi::Env env, const CompletionResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("text", r.text);
  o.Set("tokens", tokensToJs(env, r.tokens));
  if (!r.pendingBytes.empty()) {
    auto bytes = Napi::Array::New(env, r.pendingBytes.size());
    for (size_t i = 0; i < r.pendingBytes.size(); ++i) bytes.Set(static_cast<uint32_t>(i), static_cast<unsigned char>(r.pendingBytes[i]));
    o.Set("pendingBytes", bytes);
  }
  auto s = Napi::Object::New(env);
  s.Set("promptTokens", r.stats.promptTokens);
  s.Set("reusedTokens", r.stats.reusedTokens);
  s.Set("prefillMs", r.stats.prefillMs);
  s.Set("generatedTokens", r.stats.generatedTokens);
  s.Set("decodeMs", r.stats.decodeMs);
  s.Set("firstTokenMs", r.stats.firstTokenMs);
  s.Set("stopReason", stopReasonName(r.stats.stopReason));
  s.Set("prefillDevice", r.stats.prefillDevice);
  s.Set("decodeDevice", r.stats.decodeDevice);
  s.Set("placement", r.stats.placement);
  if (r.stats.placement == "handover") {
    s.Set("handoverMs", r.stats.handoverMs);
    s.Set("handoverBytes", Napi::Number::New(env, static_cast<double>(r.stats.handoverBytes)));
    s.Set("handoverChunks", r.stats.handoverChunks);
  }
  setDocumentKvStats(env, s, r.stats);
  if (r.speculation) s.Set("speculation", speculationStatsToJs(env, *r.speculation));
  if (r.alternatives) {
    auto texts = Napi::Array::New(env, r.alternatives->size());
    for (uint32_t i = 0; i < r.alternatives->size(); ++i) texts.Set(i, (*r.alternatives)[i]);
    o.Set("alternatives", texts);
    s.Set("alternativesMs", r.stats.alternativesMs);
    s.Set("alternativeTokens", r.stats.alternativeTokens);
  }
  o.Set("stats", s);
  return o;
}

Napi::Array devicesToJs(Napi::Env env, const std::vector<DeviceInfo>& devices) {
  auto array = Napi::Array::New(env, devices.size());
  for (uint32_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    auto o = Napi::Object::New(env);
    o.Set("name", d.name);
    o.Set("description", d.description);
    o.Set("type", d.type);
    o.Set("backend", d.backend);
    o.Set("memoryFreeBytes", Napi::Number::New(env, static_cast<double>(d.memoryFreeBytes)));
    o.Set("memoryTotalBytes", Napi::Number::New(env, static_cast<double>(d.memoryTotalBytes)));
    o.Set("kind", deviceKind(d));
    o.Set("hostWeightOffload", d.hostWeightOffload);
    array.Set(i, o);
  }
  return array;
}

void deviceRequestFromJs(const Napi::Object& options, ModelLoadOptions& load) {
  Napi::Value device = options.Get("device");
  if (device.IsString()) {
    const std::string choice = utf8FromJsString(device, "device");
    validateDeviceChoice(choice, "device");
    load.prefillDevice = load.decodeDevice = choice;
  } else if (device.IsObject() && !device.IsArray()) {
    Napi::Object perPhase = device.As<Napi::Object>();
    Napi::Array keys = perPhase.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const std::string key = keys.Get(i).ToString().Utf8Value();
      if (key != "prefill" && key != "decode") invalid("device." + key + " is not a phase; use {prefill, decode}");
    }
    if (auto v = optionalString(perPhase, "prefill")) {
      validateDeviceChoice(*v, "device.prefill");
      load.prefillDevice = *v;
    }
    if (auto v = optionalString(perPhase, "decode")) {
      validateDeviceChoice(*v, "device.decode");
      load.decodeDevice = *v;
    }
  } else if (!device.IsUndefined() && !device.IsNull()) {
    invalid("device must be auto, cpu, gpu, npu, a device name from devices(), or {prefill, decode} with those values");
  }
  if (auto v = optionalString(options, "placementStrategy")) {
    auto parsed = parsePlacementStrategy(*v);
    if (!parsed) invalid("placementStrategy must be one of auto, single, op-offload, handover; got '" + *v + "'");
    load.strategy = *parsed;
  }
  if (auto v = optionalNumber(options, "threads")) load.threads = validateCount("threads", *v, 0, 512);  // 0: the default
}

Napi::Object placementToJs(Napi::Env env, const Placement& p) {
  auto phase = [&](const PhaseDevice& d) {
    auto o = Napi::Object::New(env);
    o.Set("device", d.name);
    o.Set("kind", d.kind);
    o.Set("backend", d.backend);
    o.Set("reason", d.reason);
    return o;
  };
  auto o = Napi::Object::New(env);
  o.Set("prefill", phase(p.prefill));
  o.Set("decode", phase(p.decode));
  o.Set("strategy", placementStrategyName(p.strategy));
  auto warnings = Napi::Array::New(env, p.warnings.size());
  for (uint32_t i = 0; i < p.warnings.size(); ++i) warnings.Set(i, p.warnings[i]);
  o.Set("warnings", warnings);
  o.Set("staticPrefillChunk", p.staticPrefillChunk);
  return o;
}

}  // namespace tandem::napi
