#include "mutator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace tandem::fuzz {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

// llama.cpp's architecture names (src/llama-arch.cpp, LLM_ARCH_NAMES): a file moved to another
// architecture reaches that architecture's hyperparameter loader.
const char* const kArchitectures[] = {"clip",
                                      "llama",
                                      "llama4",
                                      "deci",
                                      "falcon",
                                      "grok",
                                      "gpt2",
                                      "gptj",
                                      "gptneox",
                                      "mpt",
                                      "baichuan",
                                      "starcoder",
                                      "refact",
                                      "bert",
                                      "modern-bert",
                                      "nomic-bert",
                                      "nomic-bert-moe",
                                      "neo-bert",
                                      "jina-bert-v2",
                                      "jina-bert-v3",
                                      "eurobert",
                                      "bloom",
                                      "stablelm",
                                      "qwen",
                                      "qwen2",
                                      "qwen2moe",
                                      "qwen2vl",
                                      "qwen3",
                                      "qwen3moe",
                                      "qwen3next",
                                      "qwen3vl",
                                      "qwen3vlmoe",
                                      "qwen35",
                                      "qwen35moe",
                                      "qwen4exp",
                                      "phi2",
                                      "phi3",
                                      "phimoe",
                                      "plamo",
                                      "plamo2",
                                      "plamo3",
                                      "codeshell",
                                      "orion",
                                      "internlm2",
                                      "minicpm",
                                      "minicpm3",
                                      "gemma",
                                      "gemma2",
                                      "gemma3",
                                      "gemma3n",
                                      "gemma4",
                                      "gemma4-assistant",
                                      "gemma-embedding",
                                      "starcoder2",
                                      "mamba",
                                      "mamba2",
                                      "maple",
                                      "jamba",
                                      "falcon-h1",
                                      "xverse",
                                      "command-r",
                                      "cohere2",
                                      "cohere2moe",
                                      "dbrx",
                                      "olmo",
                                      "olmo2",
                                      "olmoe",
                                      "muse-glimmer",
                                      "openelm",
                                      "arctic",
                                      "deepseek",
                                      "deepseek2",
                                      "deepseek2-ocr",
                                      "deepseek32",
                                      "deepseek4",
                                      "chatglm",
                                      "glm4",
                                      "glm4moe",
                                      "glm-dsa",
                                      "bitnet",
                                      "t5",
                                      "t5encoder",
                                      "jais",
                                      "jais2",
                                      "nemotron",
                                      "nemotron_h",
                                      "nemotron_h_moe",
                                      "exaone",
                                      "exaone4",
                                      "exaone-moe",
                                      "rwkv6",
                                      "rwkv6qwen2",
                                      "rwkv7",
                                      "arwkv7",
                                      "granite",
                                      "granitemoe",
                                      "granitehybrid",
                                      "graniteswitch",
                                      "granite_swa",
                                      "chameleon",
                                      "wavtokenizer-dec",
                                      "plm",
                                      "bailingmoe",
                                      "bailingmoe2",
                                      "bailingmoe3",
                                      "dots1",
                                      "dots3note",
                                      "arcee",
                                      "afmoe",
                                      "laguna",
                                      "ernie4_5",
                                      "ernie4_5-moe",
                                      "hunyuan-moe",
                                      "hunyuan-dense",
                                      "hunyuan_vl",
                                      "hy_v3",
                                      "hy_v4",
                                      "smollm3",
                                      "gpt-oss",
                                      "lfm2",
                                      "lfm2moe",
                                      "dream",
                                      "smallthinker",
                                      "llada",
                                      "llada-moe",
                                      "seed_oss",
                                      "grovemoe",
                                      "apertus",
                                      "minimax-01",
                                      "hrm_text",
                                      "minimax-m2",
                                      "minimax-m3",
                                      "cogvlm",
                                      "rnd1",
                                      "pangu-embedded",
                                      "mistral3",
                                      "eagle3",
                                      "dflash",
                                      "mistral4",
                                      "paddleocr",
                                      "mimo2",
                                      "step35",
                                      "spark2_5",
                                      "llama-embed",
                                      "maincoder",
                                      "kimi-linear",
                                      "kimi-k3",
                                      "talkie",
                                      "mellum",
                                      "nanbeige",
                                      "qwen3tts",
                                      "pockettts",
                                      "nonexistent"};

// Keys llama.cpp reads ("%s" = the architecture), with the type it reads them as.
struct KeyTemplate {
  const char* key;
  uint32_t type;
  uint32_t elementType = 0;  // arrays
};
const KeyTemplate kKeys[] = {
    {"%s.expert_count", kU32},
    {"%s.expert_used_count", kU32},
    {"%s.expert_group_count", kU32},
    {"%s.expert_group_used_count", kU32},
    {"%s.expert_shared_count", kU32},
    {"%s.expert_feed_forward_length", kU32},
    {"%s.expert_gating_func", kU32},
    {"%s.nextn_predict_layers", kU32},
    {"%s.leading_dense_block_count", kU32},
    {"%s.rope.dimension_count", kU32},
    {"%s.rope.dimension_count_swa", kU32},
    {"%s.rope.scaling.original_context_length", kU32},
    {"%s.attention.key_length", kU32},
    {"%s.attention.value_length", kU32},
    {"%s.attention.key_length_swa", kU32},
    {"%s.attention.value_length_swa", kU32},
    {"%s.attention.sliding_window", kU32},
    {"%s.attention.sliding_window_pattern", kU32},
    {"%s.attention.group_norm_groups", kU32},
    {"%s.vocab_size", kU32},
    {"%s.embedding_length_out", kU32},
    {"%s.pooling_type", kU32},
    {"%s.features_length", kU32},
    {"%s.posnet.block_count", kU32},
    {"%s.convnext.block_count", kU32},
    {"%s.attention.q_lora_rank", kU32},
    {"%s.attention.kv_lora_rank", kU32},
    {"%s.ssm.conv_kernel", kU32},
    {"%s.ssm.inner_size", kU32},
    {"%s.ssm.state_size", kU32},
    {"%s.ssm.time_step_rank", kU32},
    {"%s.ssm.group_count", kU32},
    {"%s.wkv.head_size", kU32},
    {"%s.decoder_start_token_id", kU32},
    {"%s.attention.relative_buckets_count", kU32},
    {"%s.moe_every_n_layers", kU32},
    {"%s.interleave_moe_layer_step", kU32},
    {"%s.full_attention_interval", kU32},
    {"%s.num_loops", kU32},
    {"%s.hrm.layers_per_stack", kU32},
    {"%s.hrm.h_cycles", kU32},
    {"%s.hrm.l_cycles", kU32},
    {"%s.n_deepstack_layers", kU32},
    {"%s.attention.output_group_count", kU32},
    {"%s.attention.indexer.block_size", kU32},
    {"%s.attention.shared_kv_layers", kU32},
    {"%s.context_length", kU32},
    {"%s.block_count", kU32},
    {"general.alignment", kU32},
    {"general.file_type", kU32},
    {"general.quantization_version", kU32},
    {"split.count", kU16},
    {"split.no", kU16},
    {"tokenizer.ggml.bos_token_id", kU32},
    {"tokenizer.ggml.eos_token_id", kU32},
    {"tokenizer.ggml.eot_token_id", kU32},
    {"tokenizer.ggml.eom_token_id", kU32},
    {"tokenizer.ggml.unknown_token_id", kU32},
    {"tokenizer.ggml.seperator_token_id", kU32},
    {"tokenizer.ggml.padding_token_id", kU32},
    {"tokenizer.ggml.cls_token_id", kU32},
    {"tokenizer.ggml.mask_token_id", kU32},
    {"tokenizer.ggml.fim_pre_token_id", kU32},
    {"tokenizer.ggml.fim_suf_token_id", kU32},
    {"tokenizer.ggml.fim_mid_token_id", kU32},
    {"tokenizer.ggml.fim_pad_token_id", kU32},
    {"tokenizer.ggml.fim_rep_token_id", kU32},
    {"tokenizer.ggml.fim_sep_token_id", kU32},
    {"tokenizer.ggml.prefix_token_id", kU32},
    {"tokenizer.ggml.token_type_count", kU32},
    {"%s.rope.freq_base", kF32},
    {"%s.rope.freq_base_swa", kF32},
    {"%s.rope.scaling.factor", kF32},
    {"%s.rope.scale_linear", kF32},
    {"%s.rope.scaling.attn_factor", kF32},
    {"%s.rope.scaling.alpha", kF32},
    {"%s.rope.scaling.yarn_log_multiplier", kF32},
    {"%s.rope.scaling.yarn_ext_factor", kF32},
    {"%s.rope.scaling.yarn_attn_factor", kF32},
    {"%s.rope.scaling.yarn_beta_fast", kF32},
    {"%s.rope.scaling.yarn_beta_slow", kF32},
    {"%s.attention.layer_norm_epsilon", kF32},
    {"%s.attention.layer_norm_rms_epsilon", kF32},
    {"%s.attention.group_norm_epsilon", kF32},
    {"%s.attention.clamp_kqv", kF32},
    {"%s.attention.max_alibi_bias", kF32},
    {"%s.attention.scale", kF32},
    {"%s.logit_scale", kF32},
    {"%s.embedding_scale", kF32},
    {"%s.residual_scale", kF32},
    {"%s.attn_logit_softcapping", kF32},
    {"%s.final_logit_softcapping", kF32},
    {"%s.expert_weights_scale", kF32},
    {"%s.kda.gate_lower_bound", kF32},
    {"%s.attention.causal", kBool},
    {"%s.rope.scaling.finetuned", kBool},
    {"%s.use_parallel_residual", kBool},
    {"%s.expert_weights_norm", kBool},
    {"%s.kda.safe_gate", kBool},
    {"tokenizer.ggml.add_bos_token", kBool},
    {"tokenizer.ggml.add_eos_token", kBool},
    {"tokenizer.ggml.add_sep_token", kBool},
    {"tokenizer.ggml.add_space_prefix", kBool},
    {"tokenizer.ggml.remove_extra_whitespaces", kBool},
    {"tokenizer.ggml.normalizer.lowercase", kBool},
    {"%s.rope.scaling.type", kString},
    {"tokenizer.ggml.pre", kString},
    {"tokenizer.ggml.model", kString},
    {"tokenizer.chat_template", kString},
    {"%s.hidden_activation", kString},
    {"%s.rope.dimension_sections", kArray, kI32},
    {"%s.attention.sliding_window_pattern", kArray, kBool},
    {"%s.expert_used_count", kArray, kU32},
    {"%s.attention.head_count", kArray, kU32},
    {"%s.attention.head_count_kv", kArray, kI32},
    {"%s.feed_forward_length", kArray, kU32},
    {"%s.swiglu_clamp_exp", kArray, kF32},
    {"%s.attention.compress_ratios", kArray, kU32},
    {"%s.deepstack_mapping", kArray, kI32},
    {"tokenizer.ggml.suppress_tokens", kArray, kI32},
    {"tokenizer.ggml.precompiled_charsmap", kArray, kU8},
    {"%s.classifier.output_labels", kArray, kString},
};

const uint64_t kInterestingInts[] = {0,
                                     1,
                                     2,
                                     3,
                                     4,
                                     7,
                                     8,
                                     15,
                                     16,
                                     31,
                                     32,
                                     33,
                                     63,
                                     64,
                                     127,
                                     128,
                                     255,
                                     256,
                                     511,
                                     512,
                                     513,
                                     1023,
                                     1024,
                                     1025,
                                     4096,
                                     32767,
                                     32768,
                                     65535,
                                     65536,
                                     0x7fffffffull,
                                     0x80000000ull,
                                     0xfffffffeull,
                                     0xffffffffull,
                                     0x100000000ull,
                                     0x7fffffffffffffffull,
                                     0x8000000000000000ull,
                                     0xffffffffffffffffull};

const double kInterestingFloats[] = {0.0,
                                     -0.0,
                                     1.0,
                                     -1.0,
                                     0.5,
                                     2.0,
                                     1e-6,
                                     -1e-6,
                                     1e-12,
                                     1e-45,
                                     1e-38,
                                     1e6,
                                     1e30,
                                     -1e30,
                                     10000.0,
                                     3.4028234663852886e38,
                                     -3.4028234663852886e38,
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::quiet_NaN(),
                                     -std::numeric_limits<double>::quiet_NaN()};

const char* const kInterestingStrings[] = {
    "",           "none",     "linear",    "yarn",  "longrope",       "YARN",    "bogus",         "llama",
    "gpt2",       "bert",     "t5",        "rwkv",  "test",           "plamo2",  "gemma4",        "hybriddna",
    "whitespace", "no_vocab", "default",   "qwen2", "deepseek-coder", "kimi-k2", "llama-bpe",     "gemma",
    "starcoder",  "\xff\xfe", "[EMPTY_0]", "<s>",   "</s>",           "<unk>",   "<|endoftext|>", "<0x0A>",
    "\n",         " ",        "gelu",      "silu",  "{{ bos_token }}"};

template <typename T, size_t N>
const T& pick(Rng& rng, const T (&items)[N]) {
  return items[rng.below(N)];
}

uint64_t interestingInt(Rng& rng, uint64_t original) {
  switch (rng.below(10)) {
    case 0:
      return original + 1;
    case 1:
      return original - 1;
    case 2:
      return original * 2;
    case 3:
      return original / 2;
    case 4:
      return rng.next() >> rng.below(64);
    default:
      return pick(rng, kInterestingInts);
  }
}

double interestingFloat(Rng& rng, double original) {
  switch (rng.below(8)) {
    case 0:
      return -original;
    case 1:
      return original * 1000;
    default:
      return pick(rng, kInterestingFloats);
  }
}

std::string interestingString(Rng& rng, const std::string& original) {
  switch (rng.below(8)) {
    case 0: {
      std::string s = original.empty() ? "x" : original;
      s[rng.below(s.size())] = static_cast<char>(rng.next());
      return s;
    }
    case 1:
      return original.substr(0, rng.below(original.size() + 1));
    case 2: {
      std::string s(rng.below(17), '\0');
      for (auto& c : s) c = static_cast<char>(rng.next());
      return s;
    }
    case 3:
      return std::string(1000 + rng.below(70000), 'a');
    default:
      return pick(rng, kInterestingStrings);
  }
}

uint64_t scalarBits(const std::string& value) {
  uint64_t v = 0;
  std::memcpy(&v, value.data(), std::min<size_t>(value.size(), 8));
  return v;
}

// An interesting value of a scalar `type`, encoded; `original` is the encoded old value (or "").
std::string interestingScalar(Rng& rng, uint32_t type, const std::string& original) {
  const uint64_t old = scalarBits(original);
  std::string out;
  if (type == kF32) {
    float before = 0;
    if (original.size() == 4) std::memcpy(&before, original.data(), 4);
    const auto f = rng.chance(0.1) ? [&] {
      uint32_t b = static_cast<uint32_t>(rng.next());
      float x;
      std::memcpy(&x, &b, 4);
      return x;
    }()
                                   : static_cast<float>(interestingFloat(rng, before));
    out.assign(reinterpret_cast<const char*>(&f), 4);
  } else if (type == kF64) {
    double before = 0;
    if (original.size() == 8) std::memcpy(&before, original.data(), 8);
    const double d = interestingFloat(rng, before);
    out.assign(reinterpret_cast<const char*>(&d), 8);
  } else if (type == kBool) {
    out.assign(1, static_cast<char>(rng.chance(0.8) ? rng.below(2) : rng.next()));
  } else if (type == kString) {
    std::string before;
    if (original.size() >= 8) before = original.substr(8);
    out = encodeString(interestingString(rng, before));
  } else {
    const uint64_t v = interestingInt(rng, old);
    out.assign(reinterpret_cast<const char*>(&v), scalarSize(type));
  }
  return out;
}

const char* typeName(uint32_t type) {
  static const char* names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"};
  return type < 13 ? names[type] : "type?";
}

// A value as a short readable text for descriptions.
std::string showValue(uint32_t type, const std::string& value) {
  char buf[64];
  if (type == kF32 && value.size() == 4) {
    float f;
    std::memcpy(&f, value.data(), 4);
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
    return buf;
  }
  if (type == kF64 && value.size() == 8) {
    double d;
    std::memcpy(&d, value.data(), 8);
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  if (type == kString) {
    std::string s = value.size() >= 8 ? value.substr(8) : "";
    std::string out = "\"";
    for (size_t i = 0; i < s.size() && i < 40; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c < 0x7f)
        out += static_cast<char>(c);
      else {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return out + (s.size() > 40 ? "…\" (" + std::to_string(s.size()) + " bytes)" : "\"");
  }
  if (type == kArray) {
    GgufArray a;
    if (!decodeArray(value, a)) return "<malformed array>";
    std::string out = std::string(typeName(a.elementType)) + "[" + std::to_string(a.elements.size()) + "]";
    if (a.elementType != kString && a.elements.size() <= 8) {
      out += " {";
      for (size_t i = 0; i < a.elements.size(); ++i) out += (i ? ", " : "") + showValue(a.elementType, a.elements[i]);
      out += "}";
    }
    return out;
  }
  const uint64_t bits = scalarBits(value);
  const size_t size = scalarSize(type);
  if (type == kI8 || type == kI16 || type == kI32 || type == kI64) {
    const int shift = static_cast<int>(64 - 8 * size);
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(static_cast<int64_t>(bits << shift) >> shift));
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(bits));
  }
  return buf;
}

std::string architecture(const GgufImage& image) {
  const GgufKv* kv = image.find("general.architecture");
  return kv && kv->type == kString && kv->value.size() >= 8 ? kv->value.substr(8) : "llama";
}

// The layer count per-layer arrays are made for; capped (a mutated block_count may be 2^32 - 1),
// still past llama.cpp's 512-layer limit.
uint32_t blockCount(const GgufImage& image) {
  const GgufKv* kv = image.find(architecture(image) + ".block_count");
  const uint64_t n = kv && kv->type == kU32 ? scalarBits(kv->value) : 2;
  return static_cast<uint32_t>(std::min<uint64_t>(n, 600));
}

std::string expand(const char* pattern, const std::string& arch) {
  std::string key = pattern;
  if (key.rfind("%s", 0) == 0) key = arch + key.substr(2);
  return key;
}

// An array of `n` elements of `elementType` around `base`, with one interesting element at times.
std::string perLayerArray(Rng& rng, uint32_t elementType, size_t n, const std::string& base) {
  GgufArray a;
  a.elementType = elementType;
  std::string plain = base;
  if (elementType == kString)
    plain = encodeString("x").substr(8);
  else
    plain.resize(scalarSize(elementType), '\0');
  a.elements.assign(n, plain);
  if (n > 0 && rng.chance(0.7)) {
    std::string v = interestingScalar(rng, elementType == kString ? kString : elementType, base);
    a.elements[rng.below(n)] = elementType == kString ? v.substr(8) : v;
  }
  return encodeArray(a);
}

// --- structured mutations ------------------------------------------------------------------------

std::string setValue(GgufImage& image, Rng& rng) {
  GgufKv& kv = image.kvs[rng.below(image.kvs.size())];
  if (kv.type != kArray) {
    const std::string before = showValue(kv.type, kv.value);
    kv.value = interestingScalar(rng, kv.type, kv.value);
    return "set " + kv.key + " (" + typeName(kv.type) + ") from " + before + " to " + showValue(kv.type, kv.value);
  }
  GgufArray a;
  if (!decodeArray(kv.value, a) || a.elements.empty()) return "left " + kv.key + " as it was (empty array)";
  const size_t i = rng.below(a.elements.size());
  if (a.elementType == kString) {
    std::string what;
    switch (rng.below(5)) {
      case 0:
      case 1: {  // a duplicated token: llama.cpp's vocabulary loader asserts on it
        const size_t j = rng.below(a.elements.size());
        a.elements[i] = a.elements[j];
        what = "copy of element " + std::to_string(j);
        break;
      }
      case 2:
        a.elements[i].clear();
        what = "\"\"";
        break;
      case 3:
        a.elements[i] += std::string(1, '\0') + "x";
        what = "itself + NUL + x";
        break;
      default: {
        a.elements[i] = interestingString(rng, a.elements[i]);
        what = showValue(kString, encodeString(a.elements[i]));
      }
    }
    kv.value = encodeArray(a);
    return "set element " + std::to_string(i) + " of " + kv.key + " to " + what;
  }
  if (scalarSize(a.elementType) == 0) return "left " + kv.key + " as it was";
  a.elements[i] = interestingScalar(rng, a.elementType, a.elements[i]);
  kv.value = encodeArray(a);
  return "set element " + std::to_string(i) + " of " + kv.key + " (" + typeName(a.elementType) + ") to " +
         showValue(a.elementType, a.elements[i]);
}

std::string resizeArray(GgufImage& image, Rng& rng) {
  std::vector<GgufKv*> arrays;
  for (auto& kv : image.kvs)
    if (kv.type == kArray) arrays.push_back(&kv);
  if (arrays.empty()) return setValue(image, rng);
  GgufKv& kv = *arrays[rng.below(arrays.size())];
  GgufArray a;
  if (!decodeArray(kv.value, a)) return "left " + kv.key + " as it was";
  const size_t before = a.elements.size();
  switch (rng.below(4)) {
    case 0:
      a.elements.resize(before > 0 ? before - 1 : 0);
      break;
    case 1:
      a.elements.resize(rng.below(before + 1));
      break;
    case 2:
      if (before > 0) a.elements.push_back(a.elements[rng.below(before)]);
      break;
    default:
      a.elements.clear();
  }
  kv.value = encodeArray(a);
  return "resized " + kv.key + " from " + std::to_string(before) + " to " + std::to_string(a.elements.size()) + " elements";
}

std::string retype(GgufImage& image, Rng& rng) {
  GgufKv& kv = image.kvs[rng.below(image.kvs.size())];
  const uint32_t before = kv.type;
  if (before != kArray && before != kString && rng.chance(0.5)) {
    // One value per layer instead of one for all (llama.cpp's get_key_or_arr reads both).
    static const uint32_t elementTypes[] = {kU32, kI32, kBool, kF32, kU64};
    const uint32_t element = pick(rng, elementTypes);
    const uint32_t layers = blockCount(image);
    const size_t n = rng.chance(0.7) ? layers : rng.below(8);
    kv.type = kArray;
    kv.value = perLayerArray(rng, element, n, kv.value);
    return "made " + kv.key + " a per-layer array: " + showValue(kArray, kv.value);
  }
  static const uint32_t types[] = {kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kU64, kI64, kF64};
  kv.type = pick(rng, types);
  kv.value = interestingScalar(rng, kv.type, before == kArray || before == kString ? std::string() : kv.value);
  return "retyped " + kv.key + " from " + typeName(before) + " to " + typeName(kv.type) + " = " + showValue(kv.type, kv.value);
}

std::string addKey(GgufImage& image, Rng& rng) {
  const KeyTemplate& t = pick(rng, kKeys);
  GgufKv kv;
  kv.key = expand(t.key, architecture(image));
  kv.type = t.type;
  if (t.type == kArray) {
    const uint32_t layers = blockCount(image);
    std::string base(scalarSize(t.elementType), '\0');
    if (!base.empty()) base[0] = static_cast<char>(1 + rng.below(8));
    kv.value = perLayerArray(rng, t.elementType, rng.chance(0.7) ? layers : rng.below(8), base);
  } else if (t.type == kString) {
    kv.value = rng.chance(0.5) ? encodeString(kv.key.find("rope.scaling.type") != std::string::npos ? "yarn" : "gpt2")
                               : interestingScalar(rng, kString, "");
  } else {
    std::string plausible(scalarSize(t.type), '\0');
    plausible[0] = static_cast<char>(1 + rng.below(8));
    kv.value = rng.chance(0.3) ? plausible : interestingScalar(rng, t.type, plausible);
  }
  std::string what = kv.key + " (" + typeName(kv.type) + ") = " + showValue(kv.type, kv.value);
  if (GgufKv* existing = image.find(kv.key)) {
    *existing = kv;
    return "replaced " + what;
  }
  image.kvs.insert(image.kvs.begin() + static_cast<long>(rng.below(image.kvs.size() + 1)), kv);
  return "added " + what;
}

std::string removeKey(GgufImage& image, Rng& rng) {
  const size_t i = rng.below(image.kvs.size());
  const std::string key = image.kvs[i].key;
  image.kvs.erase(image.kvs.begin() + static_cast<long>(i));
  return "removed " + key;
}

std::string duplicateKey(GgufImage& image, Rng& rng) {
  const GgufKv copy = image.kvs[rng.below(image.kvs.size())];
  image.kvs.insert(image.kvs.begin() + static_cast<long>(rng.below(image.kvs.size() + 1)), copy);
  return "duplicated " + copy.key;
}

std::string moveArchitecture(GgufImage& image, Rng& rng) {
  const std::string before = architecture(image);
  const std::string after = pick(rng, kArchitectures);
  GgufKv* kv = image.find("general.architecture");
  if (!kv) return "left the architecture alone (no general.architecture)";
  kv->value = encodeString(after);
  const bool renameKeys = rng.chance(0.8);
  if (renameKeys) {
    for (auto& k : image.kvs)
      if (k.key.rfind(before + ".", 0) == 0) k.key = after + k.key.substr(before.size());
  }
  return "architecture " + before + " -> " + after + (renameKeys ? " (keys renamed)" : " (keys kept)");
}

std::string mutateTensor(GgufImage& image, Rng& rng) {
  if (image.tensors.empty()) return setValue(image, rng);
  GgufTensor& t = image.tensors[rng.below(image.tensors.size())];
  switch (rng.below(6)) {
    case 0: {
      if (t.dims.empty()) break;
      const size_t d = rng.below(t.dims.size());
      t.dims[d] = interestingInt(rng, t.dims[d]);
      return "tensor " + t.name + ": dim " + std::to_string(d) + " = " + std::to_string(t.dims[d]);
    }
    case 1:
      if (t.dims.size() > 1 && rng.chance(0.5))
        t.dims.pop_back();
      else
        t.dims.push_back(rng.chance(0.5) ? 1 : interestingInt(rng, 1));
      return "tensor " + t.name + ": " + std::to_string(t.dims.size()) + " dims";
    case 2:
      t.type = rng.chance(0.8) ? static_cast<uint32_t>(rng.below(42)) : static_cast<uint32_t>(interestingInt(rng, t.type));
      return "tensor " + t.name + ": type " + std::to_string(t.type);
    case 3:
      t.offset = rng.chance(0.5) ? t.offset + (rng.chance(0.5) ? 32 : 1) : interestingInt(rng, t.offset);
      return "tensor " + t.name + ": offset " + std::to_string(t.offset);
    case 4: {
      const std::string other = image.tensors[rng.below(image.tensors.size())].name;
      const std::string before = t.name;
      t.name = rng.chance(0.5) ? other : "blk." + std::to_string(interestingInt(rng, 2) % 1000) + ".attn_q.weight";
      return "tensor " + before + " renamed " + t.name;
    }
    default:
      break;
  }
  const size_t i = rng.below(image.tensors.size());
  const std::string name = image.tensors[i].name;
  image.tensors.erase(image.tensors.begin() + static_cast<long>(i));
  return "removed tensor " + name;
}

// --- raw mutations of the written file -----------------------------------------------------------

std::string rawMutation(std::string& bytes, size_t headerSize, Rng& rng) {
  if (bytes.empty()) return "nothing to change (empty file)";
  const size_t region = rng.chance(0.9) && headerSize > 0 ? std::min(headerSize, bytes.size()) : bytes.size();
  const size_t at = rng.below(region);
  char buf[96];
  switch (rng.below(6)) {
    case 0: {
      const int bit = static_cast<int>(rng.below(8));
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << bit));
      std::snprintf(buf, sizeof buf, "flipped bit %d of byte %zu", bit, at);
      break;
    }
    case 1: {
      static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
      bytes[at] = static_cast<char>(rng.chance(0.7) ? pick(rng, values) : static_cast<unsigned char>(rng.next()));
      std::snprintf(buf, sizeof buf, "set byte %zu to 0x%02x", at, static_cast<unsigned char>(bytes[at]));
      break;
    }
    case 2: {
      const size_t width = rng.chance(0.5) ? 4 : 8;
      const uint64_t v = interestingInt(rng, 0);
      std::memcpy(&bytes[at], &v, std::min(width, bytes.size() - at));
      std::snprintf(buf, sizeof buf, "wrote %zu-byte value %llu at byte %zu", width, static_cast<unsigned long long>(v), at);
      break;
    }
    case 3: {
      const size_t n = 1 + rng.below(8);
      std::string inserted(n, '\0');
      for (auto& c : inserted) c = static_cast<char>(rng.next());
      bytes.insert(at, inserted);
      std::snprintf(buf, sizeof buf, "inserted %zu bytes at byte %zu", n, at);
      break;
    }
    case 4: {
      const size_t n = std::min<size_t>(1 + rng.below(8), bytes.size() - at);
      bytes.erase(at, n);
      std::snprintf(buf, sizeof buf, "deleted %zu bytes at byte %zu", n, at);
      break;
    }
    default: {
      const size_t keep = rng.chance(0.5) ? at : rng.below(bytes.size());
      std::snprintf(buf, sizeof buf, "truncated to %zu of %zu bytes", keep, bytes.size());
      bytes.resize(keep);
    }
  }
  return buf;
}

}  // namespace

Mutant mutate(const GgufImage& seed, Rng& rng) {
  GgufImage image = seed;
  Mutant m;
  size_t count = 1;
  while (count < 4 && rng.chance(0.35)) ++count;
  size_t raw = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string what;
    const uint64_t op = rng.below(100);
    if (image.kvs.empty())
      what = addKey(image, rng);
    else if (op < 30)
      what = setValue(image, rng);
    else if (op < 38)
      what = resizeArray(image, rng);
    else if (op < 46)
      what = retype(image, rng);
    else if (op < 62)
      what = addKey(image, rng);
    else if (op < 66)
      what = removeKey(image, rng);
    else if (op < 68)
      what = duplicateKey(image, rng);
    else if (op < 74)
      what = moveArchitecture(image, rng);
    else if (op < 82)
      what = mutateTensor(image, rng);
    else {
      ++raw;
      continue;
    }
    m.description += what + "\n";
  }
  m.bytes = image.serialize();
  const size_t headerSize = m.bytes.size() - image.data.size();
  for (size_t i = 0; i < raw; ++i) m.description += rawMutation(m.bytes, headerSize, rng) + "\n";
  return m;
}

}  // namespace tandem::fuzz
