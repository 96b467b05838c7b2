#include "engine/model/model.h"

#include "engine/model/model_file_check.h"
#include "engine/placement/auto_placement.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"
#include "engine/runtime/utf8.h"

namespace tandem {
namespace {

struct ProgressRelay {
  const ModelLoadOptions* options;
  bool aborted = false;
};

bool relayProgress(float fraction, void* data) {
  auto* relay = static_cast<ProgressRelay*>(data);
  if (isCancelled(relay->options->cancel)) {
    relay->aborted = true;
    return false;  // llama stops loading
  }
  if (relay->options->onProgress) relay->options->onProgress(fraction);
  return true;
}

std::string metaString(const llama_model* model, const char* key) {
  char buf[512];
  const int32_t n = llama_model_meta_val_str(model, key, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf);
}

}  // namespace

namespace {

// A NULL-terminated device list for llama_model_params.devices; empty = CPU only.
struct DeviceList {
  std::vector<ggml_backend_dev_t> handles;
  explicit DeviceList(int32_t index, const std::vector<DeviceInfo>& devices) {
    if (index >= 0 && !isCpu(devices[static_cast<size_t>(index)])) handles.push_back(deviceHandle(static_cast<size_t>(index)));
    handles.push_back(nullptr);
  }
};

LlamaModelPtr loadInstance(const std::string& path, const ModelFileSummary& summary, const ModelLoadOptions& options,
                           ggml_backend_dev_t* devices, int32_t gpuLayers, ProgressRelay& relay) {
  llama_model_params params = llama_model_default_params();
  params.devices = devices;
  params.n_gpu_layers = gpuLayers;
  params.vocab_only = options.vocabOnly;
  if (!options.useMmap) params.load_mode = LLAMA_LOAD_MODE_NONE;  // default: llama decides (mmap where it can)
  params.progress_callback = relayProgress;
  params.progress_callback_user_data = &relay;

  ScopedLogCapture log;
  LlamaModelPtr loaded(llama_model_load_from_file(path.c_str(), params));
  if (!loaded) {
    if (relay.aborted || isCancelled(options.cancel)) throw EngineError(ErrorCode::Aborted, "model loading was cancelled");
    const std::string reason = log.summary();
    if (log.contains("unknown model architecture") || log.contains("unknown architecture")) {
      throw EngineError(ErrorCode::ModelUnsupportedArch,
                        "unsupported model architecture '" + summary.architecture + "' in " + path + (reason.empty() ? "" : ": " + reason));
    }
    throw EngineError(ErrorCode::ModelLoadFailed, "llama.cpp could not load " + path + (reason.empty() ? "" : ": " + reason));
  }
  return loaded;
}

PhaseDevice phaseDevice(const DeviceInfo& d, std::string reason) {
  return PhaseDevice{d.name, deviceKind(d), d.backend, std::move(reason)};
}

}  // namespace

std::shared_ptr<Model> Model::load(const std::string& path, const ModelLoadOptions& options) {
  const ModelFileSummary summary = checkModelFile(path, !options.vocabOnly);
  ensureLlamaRuntime();  // a flag cancelled already is seen by llama's first progress call

  // Where each phase runs. No request at all plus gpuLayers 0 keeps its old meaning: CPU only.
  const bool cpuOnlyLegacy = !options.prefillDevice && !options.decodeDevice && options.gpuLayers && *options.gpuLayers == 0;
  const std::string prefillChoice = options.prefillDevice.value_or(cpuOnlyLegacy ? "cpu" : "auto");
  const std::string decodeChoice = options.decodeDevice.value_or(cpuOnlyLegacy ? "cpu" : "auto");
  const std::vector<DeviceInfo> devices = listDevices();
  Placement placement;
  ResolvedDevice prefill = resolveDevice(prefillChoice, devices, "prefill", placement.warnings);
  ResolvedDevice decode = resolveDevice(decodeChoice, devices, "decode", placement.warnings);
  if (options.vocabOnly) {
    prefill = decode = resolveDevice("cpu", devices, "decode", placement.warnings);
    prefill.reason = decode.reason = "vocabulary only";
  } else if (prefill.reason == "auto: to be measured" || decode.reason == "auto: to be measured") {
    const MeasuredChoice measured = measureAutoPlacement(path, devices, options);
    if (prefill.reason == "auto: to be measured" && measured.prefill >= 0) prefill = {measured.prefill, measured.prefillReason};
    if (decode.reason == "auto: to be measured" && measured.decode >= 0) decode = {measured.decode, measured.decodeReason};
  }
  const DeviceInfo& prefillInfo = devices[static_cast<size_t>(prefill.index)];
  const DeviceInfo& decodeInfo = devices[static_cast<size_t>(decode.index)];
  placement.strategy = options.vocabOnly ? PlacementStrategy::Single : decideStrategy(prefillInfo, decodeInfo, options.strategy);
  placement.prefill = phaseDevice(prefillInfo, prefill.reason);
  placement.decode = phaseDevice(decodeInfo, decode.reason);
  placement.staticPrefillChunk = placement.strategy == PlacementStrategy::OpOffload ? 0 : staticPrefillChunk(prefillInfo);

  ProgressRelay relay{&options};
  LlamaModelPtr loaded, prefillLoaded;
  if (placement.strategy == PlacementStrategy::OpOffload) {
    // Weights in host memory, the accelerator known to the context: llama.cpp's op_offload
    // runs big batches there and small ones on the CPU.
    DeviceList list(prefill.index, devices);
    loaded = loadInstance(path, summary, options, list.handles.data(), 0, relay);
  } else {
    DeviceList list(decode.index, devices);
    loaded = loadInstance(path, summary, options, list.handles.data(), isCpu(decodeInfo) ? 0 : options.gpuLayers.value_or(-1), relay);
    if (placement.strategy == PlacementStrategy::Handover) {
      DeviceList prefillList(prefill.index, devices);
      prefillLoaded = loadInstance(path, summary, options, prefillList.handles.data(), isCpu(prefillInfo) ? 0 : -1, relay);
    }
  }

  std::shared_ptr<Model> model(new Model());
  model->model_ = std::move(loaded);
  model->prefillModel_ = std::move(prefillLoaded);
  model->info_.placement = std::move(placement);
  llama_model* m = model->model_.get();
  model->vocab_ = llama_model_get_vocab(m);
  const llama_vocab* v = model->vocab_;

  ModelInfo& info = model->info_;
  info.path = path;
  info.architecture = summary.architecture;
  info.name = summary.name;
  char desc[256];
  llama_model_desc(m, desc, sizeof desc);
  info.description = desc;
  info.quantization = fileTypeName(summary.fileType);
  if (info.quantization.empty()) info.quantization = summary.dominantTensorType;
  info.fileSizeBytes = summary.fileSizeBytes;
  info.sizeBytes = llama_model_size(m);
  info.parameters = llama_model_n_params(m);
  info.contextLength = llama_model_n_ctx_train(m);
  info.embeddingLength = llama_model_n_embd(m);
  info.layers = llama_model_n_layer(m);
  info.vocabSize = llama_vocab_n_tokens(v);
  info.bos = llama_vocab_bos(v);
  info.eos = llama_vocab_eos(v);
  info.eot = llama_vocab_eot(v);
  info.addBos = llama_vocab_get_add_bos(v);
  info.fim = {llama_vocab_fim_pre(v), llama_vocab_fim_suf(v), llama_vocab_fim_mid(v),
              llama_vocab_fim_pad(v), llama_vocab_fim_rep(v), llama_vocab_fim_sep(v)};
  auto textOf = [&](llama_token t) { return t < 0 ? std::string() : std::string(llama_vocab_get_text(v, t)); };
  info.fimPrefixText = textOf(info.fim.prefix);
  info.fimSuffixText = textOf(info.fim.suffix);
  info.fimMiddleText = textOf(info.fim.middle);
  if (const char* tmpl = llama_model_chat_template(m, nullptr)) info.chatTemplate = std::string(tmpl);
  if (info.architecture.empty()) info.architecture = metaString(m, "general.architecture");
  return model;
}

bool Model::isEndOfGeneration(llama_token token) const { return llama_vocab_is_eog(vocab_, token); }

void Model::checkTokenId(llama_token token) const {
  if (token < 0 || token >= info_.vocabSize) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "token id " + std::to_string(token) + " is outside the vocabulary (0.." + std::to_string(info_.vocabSize - 1) + ")");
  }
}

std::vector<llama_token> Model::tokenize(std::string_view text, bool addSpecial, bool parseSpecial) const {
  if (auto bad = findInvalidUtf8(text)) {
    throw EngineError(ErrorCode::InvalidUtf8, "text is not valid UTF-8 (bad byte at offset " + std::to_string(*bad) + ")");
  }
  if (text.size() > INT32_MAX / 2) throw EngineError(ErrorCode::InvalidArgument, "text is too long to tokenize");
  std::vector<llama_token> tokens(text.size() + 8);
  int32_t n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(), static_cast<int32_t>(tokens.size()),
                             addSpecial, parseSpecial);
  if (n < 0) {
    tokens.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(), static_cast<int32_t>(tokens.size()),
                       addSpecial, parseSpecial);
  }
  if (n < 0) throw EngineError(ErrorCode::Internal, "llama_tokenize failed");
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

std::vector<llama_token> Model::tokenizePrompt(const std::vector<PromptPart>& parts) const {
  std::vector<llama_token> out;
  for (const auto& part : parts) {
    if (part.kind == PromptPart::Kind::Token) {
      checkTokenId(part.token);
      out.push_back(part.token);
    } else {
      auto tokens = tokenize(part.text, /*addSpecial=*/false, part.kind == PromptPart::Kind::SpecialText);
      out.insert(out.end(), tokens.begin(), tokens.end());
    }
  }
  return out;
}

std::string Model::tokenPiece(llama_token token, bool renderSpecial) const {
  char buf[256];
  int32_t n = llama_token_to_piece(vocab_, token, buf, sizeof buf, 0, renderSpecial);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(vocab_, token, big.data(), static_cast<int32_t>(big.size()), 0, renderSpecial);
  if (n < 0) throw EngineError(ErrorCode::Internal, "llama_token_to_piece failed");
  big.resize(static_cast<size_t>(n));
  return big;
}

std::string Model::detokenize(const std::vector<llama_token>& tokens, bool renderSpecial) const {
  for (llama_token t : tokens) checkTokenId(t);
  if (tokens.empty()) return {};
  std::string out(tokens.size() * 8 + 16, '\0');
  int32_t n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()), out.data(), static_cast<int32_t>(out.size()),
                               /*remove_special=*/false, /*unparse_special=*/renderSpecial);
  if (n < 0) {
    out.resize(static_cast<size_t>(-n));
    n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()), out.data(), static_cast<int32_t>(out.size()), false,
                         renderSpecial);
  }
  if (n < 0) throw EngineError(ErrorCode::Internal, "llama_detokenize failed");
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace tandem
