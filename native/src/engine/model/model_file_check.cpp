#include "engine/model/model_file_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <list>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_handles.h"
#include "engine/runtime/llama_runtime.h"

namespace tandem {
namespace {

std::string hexBytes(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::string stringKey(const gguf_context* ctx, const char* key) {
  const int64_t id = gguf_find_key(ctx, key);
  if (id < 0 || gguf_get_kv_type(ctx, id) != GGUF_TYPE_STRING) return "";
  return gguf_get_val_str(ctx, id);
}

// llama.cpp's own limits (src/llama-hparams.h): its per-layer arrays have LLAMA_MAX_LAYERS entries.
constexpr uint32_t kMaxLayers = 512;    // LLAMA_MAX_LAYERS
constexpr uint32_t kMaxExperts = 1024;  // LLAMA_MAX_EXPERTS

[[noreturn]] void invalid(const std::string& where, const std::string& problem) {
  throw EngineError(ErrorCode::ModelLoadFailed, "invalid model metadata in " + where + ": " + problem +
                                                    ". The file is damaged or was written by a faulty converter; "
                                                    "download or convert the model again.");
}

// A metadata string as the user should see it: control bytes escaped, long ones cut (at a UTF-8
// character boundary, so the message stays valid UTF-8).
std::string shown(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  constexpr size_t kMax = 48;
  size_t end = text.size();
  if (end > kMax) {
    end = kMax;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string out = "'";
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += end < text.size() ? "…'" : "'";
  return out;
}

std::string shown(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

// Reads keys the way llama.cpp's loader does (llama-model-loader.cpp, GGUFMeta): a value counts
// only when it has the type llama.cpp asks for; with any other type llama.cpp fails the load
// cleanly ("key … has wrong type"), so there is nothing to judge.
class Metadata {
 public:
  explicit Metadata(const gguf_context* g) : g_(g) {}

  int64_t find(const std::string& key) const { return gguf_find_key(g_, key.c_str()); }
  gguf_type type(int64_t id) const { return gguf_get_kv_type(g_, id); }
  const gguf_context* raw() const { return g_; }

  std::optional<uint32_t> u32(const std::string& key) const {
    const int64_t id = find(key);
    if (id < 0 || type(id) != GGUF_TYPE_UINT32) return std::nullopt;
    return gguf_get_val_u32(g_, id);
  }
  std::optional<float> f32(const std::string& key) const {
    const int64_t id = find(key);
    if (id < 0 || type(id) != GGUF_TYPE_FLOAT32) return std::nullopt;
    return gguf_get_val_f32(g_, id);
  }
  std::optional<std::string> str(const std::string& key) const {
    const int64_t id = find(key);
    if (id < 0 || type(id) != GGUF_TYPE_STRING) return std::nullopt;
    return std::string(gguf_get_val_str(g_, id));
  }

  // llama_model_loader::get_key_or_arr into a per-layer array: one uint32 for every layer, or an
  // array of exactly `layers` uint32/int32/bool values (int32 read as uint32, as llama.cpp
  // copies them). Absent: `absent`. nullopt: llama.cpp throws on it (wrong type or length).
  std::optional<std::vector<uint32_t>> perLayer(const std::string& key, uint32_t layers, std::vector<uint32_t> absent) const {
    const int64_t id = find(key);
    if (id < 0) return absent;
    if (type(id) != GGUF_TYPE_ARRAY) {
      if (type(id) != GGUF_TYPE_UINT32) return std::nullopt;
      return std::vector<uint32_t>(layers, gguf_get_val_u32(g_, id));
    }
    const gguf_type element = gguf_get_arr_type(g_, id);
    if (gguf_get_arr_n(g_, id) != layers) return std::nullopt;
    std::vector<uint32_t> values(layers);
    if (element == GGUF_TYPE_UINT32 || element == GGUF_TYPE_INT32) {
      std::memcpy(values.data(), gguf_get_arr_data(g_, id), layers * sizeof(uint32_t));
    } else if (element == GGUF_TYPE_BOOL) {
      const auto* flags = static_cast<const int8_t*>(gguf_get_arr_data(g_, id));
      for (uint32_t i = 0; i < layers; ++i) values[i] = flags[i] != 0;
    } else {
      return std::nullopt;
    }
    return values;
  }

 private:
  const gguf_context* g_;
};

// "is 7" for a uniform value, "is 7 in layer 3" for one entry of a per-layer array.
std::string valueIn(const std::vector<uint32_t>& values, size_t layer) {
  bool uniform = true;
  for (uint32_t v : values) uniform = uniform && v == values[layer];
  return std::to_string(values[layer]) + (uniform ? "" : " in layer " + std::to_string(layer));
}

size_t argMax(const std::vector<uint32_t>& values) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

bool listed(const std::string& arch, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (arch == n) return true;
  return false;
}

// Attention head sizes as llama_model_base::load_hparams computes them: key/value length default to
// embedding_length / head_count (of layer 0), RoPE dimensions to the key length; the _swa variants
// (sliding-window layers) default to those. nullopt when llama.cpp would refuse one of the keys.
struct HeadSizes {
  uint32_t embd = 0, k = 0, v = 0, rot = 0, kSwa = 0, vSwa = 0, rotSwa = 0;
};
std::optional<HeadSizes> headSizes(const Metadata& m, const std::string& arch, uint32_t headCount) {
  const std::string p = arch + ".";
  const auto embd = m.u32(p + "embedding_length");
  if (!embd) return std::nullopt;
  // An optional key counts when absent (the default) or a u32; any other type fails the load.
  auto optional = [&](const char* key, uint32_t fallback) -> std::optional<uint32_t> {
    if (m.find(p + key) < 0) return fallback;
    return m.u32(p + key);
  };
  HeadSizes h;
  h.embd = *embd;
  if (headCount == 0) return h;
  const uint32_t byHeads = *embd / headCount;
  const auto k = optional("attention.key_length", byHeads), v = optional("attention.value_length", byHeads);
  if (!k || !v) return std::nullopt;
  const auto rot = optional("rope.dimension_count", *k);
  const auto kSwa = optional("attention.key_length_swa", *k), vSwa = optional("attention.value_length_swa", *v);
  if (!rot || !kSwa || !vSwa) return std::nullopt;
  const auto rotSwa = optional("rope.dimension_count_swa", *rot);
  if (!rotSwa) return std::nullopt;
  h.k = *k, h.v = *v, h.rot = *rot, h.kSwa = *kSwa, h.vSwa = *vSwa, h.rotSwa = *rotSwa;
  return h;
}

// The graph builders of most architectures (src/models/<arch>.cpp) GGML_ASSERT, when the first
// batch is built, that keys and values have one head size and that RoPE turns whole heads:
//   GGML_ASSERT(n_embd_head == hparams.n_embd_head_k());  GGML_ASSERT(n_embd_head == n_rot);
// with n_embd_head = n_embd_head_v(). These lists are the architectures whose builders assert
// each (found by grepping the pinned llama.cpp's src/models/*.cpp and mapping each model class to
// its architectures in llama_model_mapping; commented-out asserts, as in minimax and nemotron,
// do not count). The sizes are computed as load_hparams does.
void checkHeadSizes(const Metadata& m, const std::string& arch, uint32_t headCount, const std::string& where) {
  static const std::initializer_list<const char*> kvEqual = {
      "afmoe",      "apertus",        "arcee",      "arctic",      "baichuan",    "bailingmoe2",   "bert",          "bitnet",
      "bloom",      "chameleon",      "chatglm",    "codeshell",   "cogvlm",      "cohere2",       "cohere2moe",    "command-r",
      "dbrx",       "deci",           "deepseek",   "deepseek4",   "dflash",      "dots1",         "dream",         "eagle3",
      "ernie4_5",   "ernie4_5-moe",   "eurobert",   "exaone",      "exaone-moe",  "exaone4",       "falcon",        "glm4",
      "glm4moe",    "gpt2",           "gptneox",    "granite",     "granite_swa", "granitehybrid", "graniteswitch", "grok",
      "grovemoe",   "hunyuan-moe",    "hunyuan_vl", "hy_v3",       "internlm2",   "jais",          "jais2",         "laguna",
      "llada",      "llada-moe",      "llama",      "llama4",      "maincoder",   "maple",         "mellum",        "minimax-01",
      "minimax-m2", "minimax-m3",     "mistral3",   "modern-bert", "mpt",         "muse-glimmer",  "nanbeige",      "nemotron",
      "nemotron_h", "nemotron_h_moe", "neo-bert",   "olmo",        "olmo2",       "olmoe",         "openelm",       "orion",
      "paddleocr",  "pangu-embedded", "phi2",       "phi3",        "plamo",       "pockettts",     "qwen",          "qwen2",
      "qwen2moe",   "qwen2vl",        "qwen3",      "qwen35",      "qwen35moe",   "qwen3moe",      "qwen3next",     "qwen3vl",
      "qwen3vlmoe", "qwen4exp",       "refact",     "rnd1",        "seed_oss",    "smallthinker",  "smollm3",       "spark2_5",
      "stablelm",   "starcoder",      "starcoder2", "t5",          "talkie",      "xverse"};
  static const std::initializer_list<const char*> ropeWhole = {
      "apertus",   "arcee",      "arctic",      "baichuan",      "chameleon", "codeshell",      "cogvlm",      "cohere2moe", "dbrx",
      "deci",      "deepseek",   "dots1",       "dream",         "ernie4_5",  "ernie4_5-moe",   "exaone",      "exaone-moe", "exaone4",
      "falcon",    "granite",    "granite_swa", "graniteswitch", "grok",      "grovemoe",       "hunyuan-moe", "hunyuan_vl", "hy_v3",
      "internlm2", "jais2",      "llada",       "llada-moe",     "llama",     "llama4",         "maincoder",   "mellum",     "mistral3",
      "olmo",      "olmo2",      "olmoe",       "orion",         "paddleocr", "pangu-embedded", "plamo",       "pockettts",  "qwen2",
      "qwen2moe",  "qwen2vl",    "qwen3",       "qwen3moe",      "qwen3vl",   "qwen3vlmoe",     "rnd1",        "seed_oss",   "smallthinker",
      "smollm3",   "starcoder2", "talkie",      "xverse"};
  const bool needKv = listed(arch, kvEqual), needRope = listed(arch, ropeWhole);
  if (!needKv && !needRope) return;
  const auto h = headSizes(m, arch, headCount);
  if (!h || headCount == 0) return;  // unreadable (llama.cpp refuses it), or no attention: all sizes 0
  // Layer 0 decides, and it may be a sliding-window layer: wrong only when both readings are.
  const std::string p = arch + ".";
  const std::string sizes = " (embedding_length " + std::to_string(h->embd) + " / head_count " + std::to_string(headCount) + " = " +
                            std::to_string(h->embd / headCount) + " unless attention.key_length / value_length say otherwise)";
  if (needKv && h->k != h->v && h->kSwa != h->vSwa) {
    invalid(where, "the key head size is " + std::to_string(h->k) + " but the value head size is " + std::to_string(h->v) + sizes +
                       "; llama.cpp's " + arch + " models need both to be the same");
  }
  if (needRope && h->v != h->rot && h->vSwa != h->rotSwa) {
    invalid(where, p + "rope.dimension_count is " + std::to_string(h->rot) + " but the attention head size is " + std::to_string(h->v) +
                       sizes + "; llama.cpp's " + arch + " models rotate whole heads, so the two must be equal");
  }
}

// Per-layer head counts (arrays): the loaders of many architectures (llama's among them) size every
// layer's K and V weights from layer 0, while the graph and the KV cache use each layer's own
// count, and ggml GGML_ASSERTs on the mismatch (ggml.c: ggml_set_rows, reshapes) at the first
// batch. So a layer whose attn_k / attn_v weights are shaped for layer 0 must have layer 0's count.
void checkPerLayerKvWeights(const Metadata& m, const std::string& arch, uint32_t layers, const std::vector<uint32_t>& heads,
                            const std::vector<uint32_t>& kvHeads, const std::string& where) {
  const auto h = headSizes(m, arch, heads[0]);
  if (!h || heads[0] == 0) return;
  const std::string p = arch + ".";
  for (uint32_t il = 0; il < layers; ++il) {
    if (kvHeads[il] == 0) continue;
    for (const bool isKey : {true, false}) {
      const std::string name = "blk." + std::to_string(il) + (isKey ? ".attn_k.weight" : ".attn_v.weight");
      const int64_t id = gguf_find_tensor(m.raw(), name.c_str());
      if (id < 0) continue;
      const size_t row = ggml_row_size(gguf_get_tensor_type(m.raw(), id), h->embd);
      const size_t bytes = gguf_get_tensor_size(m.raw(), id);
      if (row == 0 || bytes % row != 0) continue;  // not an [embedding_length, …] matrix: not ours to judge
      const uint64_t rows = bytes / row;
      const uint64_t size = isKey ? h->k : h->v, sizeSwa = isKey ? h->kSwa : h->vSwa;
      const uint64_t full = size * kvHeads[il], swa = sizeSwa * kvHeads[il];
      // Only a weight shaped for layer 0 (what those loaders check) is judged: a layout of some
      // other kind is for its architecture's loader to refuse.
      const bool layerZeroShape = rows == size * kvHeads[0] || rows == sizeSwa * kvHeads[0];
      if (layerZeroShape && rows != full && rows != swa) {
        invalid(where, "tensor " + name + " holds " + std::to_string(rows) + " rows, but " + p + "attention.head_count_kv is " +
                           valueIn(kvHeads, il) + ", which needs " + std::to_string(kvHeads[il]) + " × head size " +
                           std::to_string(isKey ? h->k : h->v) + " = " + std::to_string(full) +
                           "; the per-layer head counts do not match the weights");
      }
    }
  }
}

// Mixture-of-experts architectures whose tensor loaders GGML_ASSERT(n_expert > 0 && n_expert_used > 0)
// (src/models/<arch>.cpp, load_arch_tensors); lfm2moe only for layers after its dense lead.
void checkExpertsRequired(const Metadata& m, const std::string& arch, uint32_t layers, uint32_t experts, uint32_t mostUsed,
                          const std::string& where) {
  bool required = listed(arch, {"bailingmoe2", "glm4moe", "grovemoe", "llada-moe", "smallthinker"});
  const std::string p = arch + ".";
  if (arch == "lfm2moe") {
    const uint32_t nextn = m.u32(p + "nextn_predict_layers").value_or(0);
    required = m.u32(p + "leading_dense_block_count").value_or(0) < layers - nextn;
  }
  if (required && (experts == 0 || mostUsed == 0)) {
    invalid(where, p + "expert_count is " + std::to_string(experts) + " and " + p + "expert_used_count is " + std::to_string(mostUsed) +
                       "; llama.cpp's " + arch + " models are mixtures of experts and need both to be at least 1");
  }
  if (arch == "grovemoe") {
    if (auto perGroup = m.u32(p + "experts_per_group"); perGroup && *perGroup == 0) {
      invalid(where, p + "experts_per_group is 0; it must be at least 1");
    }
  }
}

// Architectures whose RoPE is always multi-section (llama_model_rope_type: MROPE or IMROPE): ggml's
// rope op GGML_ASSERTs that one of the first three sections is non-zero (ggml-cpu/ops.cpp) at the
// first batch. paddleocr reads the sections as optional (absent = all 0); the others require them.
void checkRopeSections(const Metadata& m, const std::string& arch, const std::string& where) {
  if (!listed(arch, {"qwen2vl", "paddleocr", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "qwen4exp", "qwen3tts"})) return;
  const std::string key = arch + ".rope.dimension_sections";
  const int64_t id = m.find(key);
  int32_t sections[4] = {0, 0, 0, 0};
  if (id < 0) {
    if (arch != "paddleocr") return;           // llama.cpp refuses the missing key itself
  } else if (m.type(id) == GGUF_TYPE_INT32) {  // get_key_or_arr<std::array<int, 4>>: one int32 for all
    for (auto& v : sections) v = gguf_get_val_i32(m.raw(), id);
  } else if (m.type(id) == GGUF_TYPE_ARRAY && gguf_get_arr_n(m.raw(), id) == 4) {
    const gguf_type element = gguf_get_arr_type(m.raw(), id);
    if (element == GGUF_TYPE_INT32 || element == GGUF_TYPE_UINT32) {
      std::memcpy(sections, gguf_get_arr_data(m.raw(), id), sizeof sections);
    } else if (element == GGUF_TYPE_BOOL) {
      const auto* flags = static_cast<const int8_t*>(gguf_get_arr_data(m.raw(), id));
      for (int i = 0; i < 4; ++i) sections[i] = flags[i] != 0;
    } else {
      return;
    }
  } else {
    return;  // wrong type or length: llama.cpp refuses it
  }
  if (sections[0] <= 0 && sections[1] <= 0 && sections[2] <= 0) {
    invalid(where, key + (id < 0 ? " is missing" : " has no positive section among its first three") + "; llama.cpp's " + arch +
                       " models use multi-section RoPE and need at least one");
  }
}

// GGML_ASSERTs of single architectures' hyperparameter and tensor loaders (src/models/<arch>.cpp).
void checkArchitectureSpecific(const Metadata& m, const std::string& arch, uint32_t layers, const std::string& where) {
  const std::string p = arch + ".";
  const uint32_t nextn = m.u32(p + "nextn_predict_layers").value_or(0);
  const uint32_t runLayers = layers - nextn;  // hparams.n_layer()
  const auto embd = m.u32(p + "embedding_length");
  auto atLeastOne = [&](const char* key) {
    if (auto v = m.u32(p + key); v && *v == 0) invalid(where, p + key + " is 0; it must be at least 1");
  };
  if (arch == "hrm_text") {  // hrm-text.cpp: cycles and stack sizes > 0, block_count = their product
    for (const char* key : {"hrm.layers_per_stack", "hrm.h_cycles", "hrm.l_cycles"}) atLeastOne(key);
    const auto stack = m.u32(p + "hrm.layers_per_stack"), h = m.u32(p + "hrm.h_cycles"), l = m.u32(p + "hrm.l_cycles");
    if (stack && h && l && uint64_t(*stack) * *h * (uint64_t(*l) + 1) != runLayers) {
      invalid(where, p + "block_count does not equal hrm.layers_per_stack × hrm.h_cycles × (hrm.l_cycles + 1) = " +
                         std::to_string(uint64_t(*stack) * *h * (uint64_t(*l) + 1)));
    }
  } else if (arch == "minimax-m3") {  // minimax-m3.cpp: GGML_ASSERT(indexer_block_size > 0)
    atLeastOne("attention.indexer.block_size");
  } else if (arch == "nanbeige") {  // nanbeige.cpp: loops >= 1, layers × loops <= LLAMA_MAX_LAYERS
    const auto loops = m.u32(p + "num_loops");
    if (loops && (*loops == 0 || uint64_t(*loops) * runLayers > kMaxLayers)) {
      invalid(where, p + "num_loops is " + std::to_string(*loops) + "; it must be at least 1, and with " + std::to_string(runLayers) +
                         " layers at most " + std::to_string(kMaxLayers / std::max(1u, runLayers)));
    }
  } else if (arch == "deepseek4") {  // deepseek4.cpp: GGML_ASSERT(n_compress_ratios <= LLAMA_MAX_LAYERS)
    const int64_t id = m.find(p + "attention.compress_ratios");
    if (id >= 0 && m.type(id) == GGUF_TYPE_ARRAY && gguf_get_arr_n(m.raw(), id) > kMaxLayers) {
      invalid(where, p + "attention.compress_ratios has " + std::to_string(gguf_get_arr_n(m.raw(), id)) + " entries; at most " +
                         std::to_string(kMaxLayers) + " are supported");
    }
  } else if (arch == "bailingmoe3") {  // bailingmoe3.cpp: GGML_ASSERT(kda_safe_gate), (kda_gate_lower_bound < 0)
    const int64_t safe = m.find(p + "kda.safe_gate");
    if (safe >= 0 && m.type(safe) == GGUF_TYPE_BOOL && !gguf_get_val_bool(m.raw(), safe)) {
      invalid(where, p + "kda.safe_gate is false; llama.cpp supports only the safe gate");
    }
    if (auto bound = m.f32(p + "kda.gate_lower_bound"); bound && !(*bound < 0.0f)) {
      invalid(where, p + "kda.gate_lower_bound is " + shown(*bound) + "; it must be negative");
    }
  } else if (arch == "gemma-embedding" && embd) {  // gemma-embedding.cpp: dense feature sizes are 0 or n_embd
    for (const char* key : {"dense_2_feat_in", "dense_3_feat_out"}) {
      if (auto v = m.u32(p + key); v && *v != 0 && *v != *embd) {
        invalid(where, p + key + " is " + std::to_string(*v) + "; it must equal " + p + "embedding_length (" + std::to_string(*embd) + ")");
      }
    }
  } else if (arch == "wavtokenizer-dec") {  // wavtokenizer-dec.cpp: GGML_ASSERT(posnet.n_embd == convnext.n_embd)
    const auto posnet = m.u32(p + "posnet.embedding_length"), convnext = m.u32(p + "convnext.embedding_length");
    if (posnet && convnext && *posnet != *convnext) {
      invalid(where, p + "posnet.embedding_length (" + std::to_string(*posnet) + ") and " + p + "convnext.embedding_length (" +
                         std::to_string(*convnext) + ") must be equal");
    }
  } else if ((arch == "jamba" || arch == "granitehybrid") && embd) {  // GGML_ASSERT(2 * n_embd == d_inner)
    if (auto inner = m.u32(p + "ssm.inner_size"); inner && uint64_t(*inner) != 2ull * *embd) {
      invalid(where, p + "ssm.inner_size is " + std::to_string(*inner) + "; llama.cpp's " + arch + " models need twice " + p +
                         "embedding_length (" + std::to_string(2ull * *embd) + ")");
    }
  } else if (arch == "hy_v4") {  // hy-v4.cpp: GGML_ASSERT(hparams.is_mla())
    for (const char* key : {"attention.key_length_mla", "attention.value_length_mla"}) atLeastOne(key);
  }

  // deepseek2.cpp / hy-v4.cpp: GGML_ASSERT(n_embd_head_qk_nope >= 1), the key head (MLA or
  // plain) must be longer than its RoPE part.
  if (listed(arch, {"deepseek2", "mistral4", "hy_v4"})) {
    const auto heads = m.perLayer(p + "attention.head_count", layers, std::vector<uint32_t>(layers, 0));
    if (!heads || (*heads)[0] == 0) return;
    const auto h = headSizes(m, arch, (*heads)[0]);
    if (!h) return;
    const uint32_t kMla = m.u32(p + "attention.key_length_mla").value_or(0), vMla = m.u32(p + "attention.value_length_mla").value_or(0);
    const uint32_t key = kMla != 0 && vMla != 0 ? kMla : h->k;
    if (key <= h->rot) {
      invalid(where, "the key head size is " + std::to_string(key) + " but " + p + "rope.dimension_count is " + std::to_string(h->rot) +
                         "; llama.cpp's " + arch + " models need part of each key head without RoPE");
    }
  }
}

// Hyperparameters llama_model_base::load_hparams (src/llama-model.cpp) reads for every
// architecture, in its order, with the GGML_ASSERTs they stand for.
void checkHyperparameters(const Metadata& m, const std::string& arch, const std::string& where) {
  const std::string p = arch + ".";

  // Things llama.cpp divides by or sizes buffers with; 0 is never a real model.
  for (const char* key : {"context_length", "embedding_length"}) {
    if (auto v = m.u32(p + key); v && *v == 0) invalid(where, p + key + " is 0; it must be at least 1");
  }

  // llama-model.cpp: GGML_ASSERT(n_layer_all > 0 && n_layer_all <= LLAMA_MAX_LAYERS)
  const auto layers = m.u32(p + "block_count");
  if (!layers) return;  // missing or mistyped: llama.cpp fails the load itself, and the rest needs it
  if (*layers == 0 || *layers > kMaxLayers) {
    invalid(where, p + "block_count (the number of layers) is " + std::to_string(*layers) + "; it must be from 1 to " +
                       std::to_string(kMaxLayers));
  }
  // GGML_ASSERT(n_layer_nextn <= n_layer_all); all of them would leave no layer to run.
  if (auto nextn = m.u32(p + "nextn_predict_layers"); nextn && *nextn >= *layers) {
    invalid(where, p + "nextn_predict_layers is " + std::to_string(*nextn) + " but the model has only " + std::to_string(*layers) +
                       " layers (" + p + "block_count); it must be less");
  }

  // Mixture of experts: GGML_ASSERTs after reading expert_count / expert_used_count / groups.
  uint32_t experts = m.u32(p + "expert_count").value_or(0);
  auto used = m.perLayer(p + "expert_used_count", *layers, std::vector<uint32_t>(*layers, 0));
  if (!used) return;  // llama.cpp throws on its type or length
  if ((arch == "hunyuan_vl" || arch == "hunyuan-dense") && experts <= 1) {
    experts = 0;  // llama.cpp resets these two to "no experts"
    used->assign(*layers, 0);
  }
  const uint32_t groups = m.u32(p + "expert_group_count").value_or(0);
  const uint32_t groupsUsed = m.u32(p + "expert_group_used_count").value_or(0);
  const size_t most = argMax(*used);
  if (experts > kMaxExperts) {
    invalid(where, p + "expert_count is " + std::to_string(experts) + "; llama.cpp supports at most " + std::to_string(kMaxExperts));
  }
  if ((*used)[most] > experts && experts > 0) {  // with none, said below
    invalid(where, p + "expert_used_count is " + valueIn(*used, most) + " but " + p + "expert_count is " + std::to_string(experts) +
                       "; a layer cannot use more experts than the model has");
  }
  if (experts > 0) {
    const auto fewest = static_cast<size_t>(std::min_element(used->begin(), used->end()) - used->begin());
    if ((*used)[most] == 0) {
      invalid(where, p + "expert_used_count is " + valueIn(*used, fewest) + " (or missing) but the model has " + std::to_string(experts) +
                         " experts; each token must be routed to at least one");
    }
    if (groups >= experts) {
      invalid(where, p + "expert_group_count is " + std::to_string(groups) + "; it must be less than " + p + "expert_count (" +
                         std::to_string(experts) + ")");
    }
    if (groups > 1) {
      if (experts % groups != 0) {
        invalid(where, p + "expert_group_count is " + std::to_string(groups) + ", which does not divide " + p + "expert_count (" +
                           std::to_string(experts) + ")");
      }
      if (groupsUsed == 0 || groupsUsed >= groups) {
        invalid(where, p + "expert_group_used_count is " + std::to_string(groupsUsed) + "; with " + std::to_string(groups) +
                           " expert groups it must be from 1 to " + std::to_string(groups - 1));
      }
    }
  } else {
    if ((*used)[most] != 0) {
      invalid(where,
              p + "expert_used_count is " + valueIn(*used, most) + " but the model has no experts (" + p + "expert_count is 0 or missing)");
    }
    if (groups != 0) {
      invalid(where, p + "expert_group_count is " + std::to_string(groups) + " but the model has no experts (" + p +
                         "expert_count is 0 or missing)");
    }
  }

  if (arch == "wavtokenizer-dec") {  // GGML_ASSERT(posnet/convnext.n_layer <= n_layer_all)
    for (const char* key : {"posnet.block_count", "convnext.block_count"}) {
      if (auto v = m.u32(p + key); v && *v > *layers) {
        invalid(where, p + key + " is " + std::to_string(*v) + "; it cannot exceed " + p + "block_count (" + std::to_string(*layers) + ")");
      }
    }
  }

  // Attention heads, per layer (0 is a layer without attention, as in Mamba or hybrid models).
  // Grouped-query attention shares each key/value head among a whole number of query heads.
  const auto heads = m.perLayer(p + "attention.head_count", *layers, std::vector<uint32_t>(*layers, 0));
  if (heads) {
    const auto kvHeads = m.perLayer(p + "attention.head_count_kv", *layers, *heads);
    for (uint32_t il = 0; kvHeads && il < *layers; ++il) {
      const uint32_t h = (*heads)[il], kv = (*kvHeads)[il];
      if (h > 0 && kv > 0 && h % kv != 0) {
        invalid(where, p + "attention.head_count_kv is " + valueIn(*kvHeads, il) + " but " + p + "attention.head_count is " +
                           valueIn(*heads, il) + "; the key/value heads must divide the attention heads evenly");
      }
    }
    auto isArray = [&](const char* key) {
      const int64_t id = m.find(p + key);
      return id >= 0 && m.type(id) == GGUF_TYPE_ARRAY;
    };
    if (kvHeads && (isArray("attention.head_count") || isArray("attention.head_count_kv"))) {
      checkPerLayerKvWeights(m, arch, *layers, *heads, *kvHeads, where);
    }
  }

  if (heads) checkHeadSizes(m, arch, (*heads)[0], where);
  checkExpertsRequired(m, arch, *layers, experts, (*used)[most], where);
  checkRopeSections(m, arch, where);
  checkArchitectureSpecific(m, arch, *layers, where);

  // GGML_ASSERT(rope_scaling_type_train != LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED): the names of
  // LLAMA_ROPE_SCALING_TYPES in llama-model.cpp.
  if (auto scaling = m.str(p + "rope.scaling.type")) {
    static const char* known[] = {"none", "linear", "yarn", "longrope"};
    bool ok = false;
    for (const char* k : known) ok = ok || *scaling == k;
    if (!ok) invalid(where, p + "rope.scaling.type is " + shown(*scaling) + "; it must be one of none, linear, yarn, longrope");
  }

  // Normalisation epsilons go into ggml's norm ops, which GGML_ASSERT(eps >= 0.0f) at the first
  // completion (ggml-cpu/ops.cpp); NaN fails that too, and 0 or infinity give NaN activations.
  for (const char* key : {"attention.layer_norm_rms_epsilon", "attention.layer_norm_epsilon"}) {
    if (auto eps = m.f32(p + key); eps && !(std::isfinite(*eps) && *eps > 0.0f)) {
      invalid(where, p + key + " is " + shown(*eps) + "; it must be a small positive number (such as 1e-06)");
    }
  }
}

// What llama_vocab::impl::load (src/llama-vocab.cpp) asserts on or Tandem cannot do without.
void checkTokenizer(const Metadata& m, const std::string& where) {
  if (auto model = m.str("tokenizer.ggml.model"); model && (*model == "none" || *model == "no_vocab")) {
    // llama.cpp can load such a model (<arch>.vocab_size dummy tokens) but makes no tokenizer, so
    // the first tokenize GGML_ASSERTs (llama_vocab::impl::tokenize).
    invalid(where,
            "tokenizer.ggml.model is " + shown(*model) + ": the model has no tokenizer, and Tandem needs one to read and write text");
  }
  const int64_t tokensId = m.find("tokenizer.ggml.tokens");
  if (tokensId < 0 || m.type(tokensId) != GGUF_TYPE_ARRAY || gguf_get_arr_type(m.raw(), tokensId) != GGUF_TYPE_STRING) return;
  const size_t count = gguf_get_arr_n(m.raw(), tokensId);

  // Arrays parallel to the token list must cover it (llama.cpp throws, but its message is cryptic).
  for (const char* key : {"tokenizer.ggml.token_type", "tokenizer.ggml.scores"}) {
    const int64_t id = m.find(key);
    if (id < 0 || m.type(id) != GGUF_TYPE_ARRAY) continue;
    if (gguf_get_arr_n(m.raw(), id) < count) {
      invalid(where, std::string(key) + " has " + std::to_string(gguf_get_arr_n(m.raw(), id)) + " entries but tokenizer.ggml.tokens has " +
                         std::to_string(count) + "; there must be one per token");
    }
  }

  // The 'whitespace' pre-tokenizer hands runs of spaces to byte-pair merging unencoded; only the
  // 'whitespace' tokenizer drops them first. With any other, text with two spaces in a row
  // GGML_ASSERTs in llama_vocab::find_bpe_rank (src/llama-vocab.cpp).
  if (m.str("tokenizer.ggml.pre") == std::optional<std::string>("whitespace")) {
    const std::string model = m.str("tokenizer.ggml.model").value_or("");
    if (model == "gpt2" || model == "hybriddna") {
      invalid(where, "tokenizer.ggml.pre is 'whitespace', which only works with tokenizer.ggml.model 'whitespace', not " + shown(model) +
                         " (text with two spaces in a row would abort llama.cpp)");
    }
  }

  // A WordPiece (bert) vocabulary has no byte tokens: rendering one GGML_ABORTs in
  // llama_vocab::impl::token_to_byte (src/llama-vocab.cpp).
  const int64_t typesId = m.find("tokenizer.ggml.token_type");
  if (m.str("tokenizer.ggml.model") == std::optional<std::string>("bert") && typesId >= 0 && m.type(typesId) == GGUF_TYPE_ARRAY &&
      gguf_get_arr_type(m.raw(), typesId) == GGUF_TYPE_INT32) {
    constexpr int32_t kByteToken = 6;  // LLAMA_TOKEN_TYPE_BYTE
    const auto* types = static_cast<const int32_t*>(gguf_get_arr_data(m.raw(), typesId));
    for (size_t i = 0; i < gguf_get_arr_n(m.raw(), typesId); ++i) {
      if (types[i] == kByteToken) {
        invalid(where, "tokenizer.ggml.token_type marks token " + std::to_string(i) +
                           " as a byte token, which a WordPiece (tokenizer.ggml.model 'bert') vocabulary cannot have");
      }
    }
  }

  // GGML_ASSERT(id_to_token.size() == token_to_id.size()): every token text must be unique, as
  // llama.cpp sees it: read as a C string (up to a NUL byte), an empty one renamed [EMPTY_<id>].
  std::unordered_map<std::string_view, size_t> ids;
  ids.reserve(count);
  std::list<std::string> renamed;  // owns the [EMPTY_<id>] names (list: views into it stay valid)
  for (size_t i = 0; i < count; ++i) {
    std::string_view text = gguf_get_arr_str(m.raw(), tokensId, i);
    if (text.empty()) text = renamed.emplace_back("[EMPTY_" + std::to_string(i) + "]");
    const auto [it, added] = ids.emplace(text, i);
    if (!added) {
      invalid(where, "tokenizer.ggml.tokens has the token " + shown(text) + " twice (ids " + std::to_string(it->second) + " and " +
                         std::to_string(i) + "); every token must be unique");
    }
  }
}

}  // namespace

void checkModelMetadata(const gguf_context* gguf, bool hyperparameters, const std::string& where) {
  const Metadata m(gguf);
  const std::string arch = m.str("general.architecture").value_or("");
  // llama.cpp reads no hyperparameters for vocabulary-only loads nor for its 'clip' stub.
  if (hyperparameters && !arch.empty() && arch != "clip") checkHyperparameters(m, arch, where);
  checkTokenizer(m, where);
}

std::string fileTypeName(int32_t fileType) {
  switch (fileType) {
    case 0:
      return "F32";
    case 1:
      return "F16";
    case 2:
      return "Q4_0";
    case 3:
      return "Q4_1";
    case 7:
      return "Q8_0";
    case 8:
      return "Q5_0";
    case 9:
      return "Q5_1";
    case 10:
      return "Q2_K";
    case 11:
      return "Q3_K_S";
    case 12:
      return "Q3_K_M";
    case 13:
      return "Q3_K_L";
    case 14:
      return "Q4_K_S";
    case 15:
      return "Q4_K_M";
    case 16:
      return "Q5_K_S";
    case 17:
      return "Q5_K_M";
    case 18:
      return "Q6_K";
    case 19:
      return "IQ2_XXS";
    case 20:
      return "IQ2_XS";
    case 21:
      return "Q2_K_S";
    case 22:
      return "IQ3_XS";
    case 23:
      return "IQ3_XXS";
    case 24:
      return "IQ1_S";
    case 25:
      return "IQ4_NL";
    case 26:
      return "IQ3_S";
    case 27:
      return "IQ3_M";
    case 28:
      return "IQ2_S";
    case 29:
      return "IQ2_M";
    case 30:
      return "IQ4_XS";
    case 31:
      return "IQ1_M";
    case 32:
      return "BF16";
    case 36:
      return "TQ1_0";
    case 37:
      return "TQ2_0";
    case 38:
      return "MXFP4_MOE";
    default:
      return "";
  }
}

ModelFileSummary checkModelFile(const std::string& path, bool requireTensors) {
  namespace fs = std::filesystem;
  // The C file APIs would stop at the NUL and open another, shorter path.
  if (const size_t nul = path.find('\0'); nul != std::string::npos) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "model path contains a NUL character (at index " + std::to_string(nul) + "), which no file name can contain");
  }
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw EngineError(ErrorCode::ModelNotFound, "model file not found: " + path);
  if (fs::is_directory(status)) throw EngineError(ErrorCode::ModelIsDirectory, "model path is a directory, not a GGUF file: " + path);
  ModelFileSummary summary;
  summary.fileSizeBytes = fs::file_size(path, ec);
  if (ec) throw EngineError(ErrorCode::ModelNotFound, "cannot read model file " + path + ": " + ec.message());
  if (summary.fileSizeBytes == 0) throw EngineError(ErrorCode::ModelEmpty, "model file is empty (0 bytes): " + path);

  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw EngineError(ErrorCode::ModelNotFound, "cannot open model file " + path + ": " + std::strerror(errno));
    unsigned char magic[4] = {0, 0, 0, 0};
    const size_t got = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (got < 4 || std::memcmp(magic, "GGUF", 4) != 0) {
      throw EngineError(ErrorCode::ModelNotGguf, "not a GGUF model file (expected the magic bytes 'GGUF', found " +
                                                     (got ? hexBytes(magic, got) : std::string("nothing")) + "): " + path);
    }
  }

  ensureLlamaRuntime();
  ScopedLogCapture log;
  gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
  GgufContextPtr gguf(gguf_init_from_file(path.c_str(), params));
  if (!gguf) {
    const std::string reason = log.summary();
    throw EngineError(ErrorCode::ModelTruncated, "GGUF header of " + path + " cannot be read (truncated or corrupt file, " +
                                                     std::to_string(summary.fileSizeBytes) + " bytes)" +
                                                     (reason.empty() ? "" : ": " + reason));
  }
  summary.tensorCount = gguf_get_n_tensors(gguf.get());
  summary.architecture = stringKey(gguf.get(), "general.architecture");
  summary.name = stringKey(gguf.get(), "general.name");
  const int64_t ftypeId = gguf_find_key(gguf.get(), "general.file_type");
  if (ftypeId >= 0) {
    const auto t = gguf_get_kv_type(gguf.get(), ftypeId);
    if (t == GGUF_TYPE_UINT32)
      summary.fileType = static_cast<int32_t>(gguf_get_val_u32(gguf.get(), ftypeId));
    else if (t == GGUF_TYPE_INT32)
      summary.fileType = gguf_get_val_i32(gguf.get(), ftypeId);
  }
  if (summary.tensorCount == 0 && requireTensors) {
    throw EngineError(ErrorCode::ModelNoTensors, "GGUF file has no tensors (a vocabulary-only file?), so it cannot generate: " + path);
  }

  const size_t dataOffset = gguf_get_data_offset(gguf.get());
  size_t largest = 0;
  for (int64_t i = 0; i < summary.tensorCount; ++i) {
    const uint64_t end = static_cast<uint64_t>(dataOffset) + gguf_get_tensor_offset(gguf.get(), i) + gguf_get_tensor_size(gguf.get(), i);
    if (end > summary.fileSizeBytes) {
      throw EngineError(ErrorCode::ModelTruncated, std::string("model file is truncated: tensor '") + gguf_get_tensor_name(gguf.get(), i) +
                                                       "' needs " + std::to_string(end) + " bytes but the file has " +
                                                       std::to_string(summary.fileSizeBytes) + ": " + path);
    }
    // Integer (and f64) weights reach ggml ops that have no kernel for them and GGML_ABORT at the
    // first batch (ggml-cpu/binary-ops.cpp, "unsupported types"); only the draft-to-target map of
    // eagle3/dflash drafters is an integer tensor by design.
    const ggml_type type = gguf_get_tensor_type(gguf.get(), i);
    const bool integer =
        type == GGML_TYPE_I8 || type == GGML_TYPE_I16 || type == GGML_TYPE_I32 || type == GGML_TYPE_I64 || type == GGML_TYPE_F64;
    if (integer && std::strcmp(gguf_get_tensor_name(gguf.get(), i), "d2t") != 0) {
      throw EngineError(ErrorCode::ModelLoadFailed,
                        "invalid model file " + path + ": tensor '" + gguf_get_tensor_name(gguf.get(), i) + "' has type " +
                            ggml_type_name(type) +
                            ", but llama.cpp computes only with floating-point and quantized weights. The file is "
                            "damaged or was written by a faulty converter; download or convert the model again.");
    }
    const uint64_t start = static_cast<uint64_t>(dataOffset) + gguf_get_tensor_offset(gguf.get(), i);
    if (start % kTensorDataAlignment != 0) {
      throw EngineError(ErrorCode::ModelLoadFailed,
                        "invalid model file " + path + ": the data of tensor '" + gguf_get_tensor_name(gguf.get(), i) +
                            "' starts at byte " + std::to_string(start) + ", not at a multiple of " + std::to_string(kTensorDataAlignment) +
                            " (general.alignment is " + std::to_string(gguf_get_alignment(gguf.get())) +
                            "); llama.cpp needs tensor data aligned to " + std::to_string(kTensorDataAlignment) +
                            " bytes. The file is damaged or was written by a faulty converter; download or convert the model again.");
    }
    if (gguf_get_tensor_size(gguf.get(), i) > largest) {
      largest = gguf_get_tensor_size(gguf.get(), i);
      summary.dominantTensorType = ggml_type_name(gguf_get_tensor_type(gguf.get(), i));
    }
  }
  checkModelMetadata(gguf.get(), requireTensors, path);
  return summary;
}

}  // namespace tandem
