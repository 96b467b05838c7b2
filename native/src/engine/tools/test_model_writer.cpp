#include "engine/tools/test_model_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <algorithm>
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_handles.h"
#include "engine/runtime/llama_runtime.h"

namespace tandem {
namespace {

// splitmix64: fast, and every tensor gets its own stream, so its values do not depend on chunking.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return ((next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }  // (0, 1)
  // Box–Muller: fills `out` with standard normal values.
  void normals(float* out, size_t n, float scale) {
    for (size_t i = 0; i < n; i += 2) {
      const double r = std::sqrt(-2.0 * std::log(uniform()));
      const double theta = 6.283185307179586 * uniform();
      out[i] = static_cast<float>(r * std::cos(theta)) * scale;
      if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(theta)) * scale;
    }
  }
};

enum class Fill { Normal, Ones };

struct TensorPlan {
  std::string name;
  int64_t cols;  // ne[0]: the row length (the input dimension of a weight matrix)
  int64_t rows;  // ne[1]; 1 for vectors
  ggml_type type;
  Fill fill;
  float scale;
};

ggml_type weightType(const std::string& type) {
  if (type == "f32") return GGML_TYPE_F32;
  if (type == "f16") return GGML_TYPE_F16;
  if (type == "q8_0") return GGML_TYPE_Q8_0;
  if (type == "q4_0") return GGML_TYPE_Q4_0;
  throw EngineError(ErrorCode::InvalidArgument, "type must be one of f32, f16, q8_0, q4_0; got '" + type + "'");
}

int32_t fileTypeOf(ggml_type t) {
  switch (t) {
    case GGML_TYPE_F16:
      return 1;
    case GGML_TYPE_Q4_0:
      return 2;
    case GGML_TYPE_Q8_0:
      return 7;
    default:
      return 0;
  }
}

void requirePositive(const char* name, int32_t v) {
  if (v < 1) throw EngineError(ErrorCode::InvalidArgument, std::string(name) + " must be at least 1, got " + std::to_string(v));
}

// llama.cpp's models/ggml-vocab-qwen2.gguf has "[PAD<id>]" placeholders where Qwen2.5(-Coder)
// has its added tokens, FIM ones included. Restoring their names (as control tokens) gives test
// models the real Qwen2.5-Coder FIM ids (151659..151664).
const char* qwenAddedToken(const gguf_context* vocab, int64_t tokensKey, size_t id) {
  static const char* added[] = {"<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",  "<|box_end|>",    "<|quad_start|>",
                                "<|quad_end|>",         "<|vision_start|>",   "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>",
                                "<|video_pad|>",        "<tool_call>",        "</tool_call>",   "<|fim_prefix|>", "<|fim_middle|>",
                                "<|fim_suffix|>",       "<|fim_pad|>",        "<|repo_name|>",  "<|file_sep|>"};
  constexpr size_t first = 151646;
  if (id < first || id >= first + sizeof(added) / sizeof(added[0])) return nullptr;
  if (gguf_get_arr_n(vocab, tokensKey) <= id || std::strcmp(gguf_get_arr_str(vocab, tokensKey, 151643), "<|endoftext|>") != 0)
    return nullptr;
  if (std::string(gguf_get_arr_str(vocab, tokensKey, id)) != "[PAD" + std::to_string(id) + "]") return nullptr;
  return added[id - first];
}

// Copies every tokenizer.* key of `vocab` into `out`.
void copyTokenizer(const gguf_context* vocab, gguf_context* out) {
  for (int64_t i = 0; i < gguf_get_n_kv(vocab); ++i) {
    const char* key = gguf_get_key(vocab, i);
    if (std::strncmp(key, "tokenizer.", 10) != 0) continue;
    switch (gguf_get_kv_type(vocab, i)) {
      case GGUF_TYPE_UINT8:
        gguf_set_val_u8(out, key, gguf_get_val_u8(vocab, i));
        break;
      case GGUF_TYPE_INT8:
        gguf_set_val_i8(out, key, gguf_get_val_i8(vocab, i));
        break;
      case GGUF_TYPE_UINT16:
        gguf_set_val_u16(out, key, gguf_get_val_u16(vocab, i));
        break;
      case GGUF_TYPE_INT16:
        gguf_set_val_i16(out, key, gguf_get_val_i16(vocab, i));
        break;
      case GGUF_TYPE_UINT32:
        gguf_set_val_u32(out, key, gguf_get_val_u32(vocab, i));
        break;
      case GGUF_TYPE_INT32:
        gguf_set_val_i32(out, key, gguf_get_val_i32(vocab, i));
        break;
      case GGUF_TYPE_FLOAT32:
        gguf_set_val_f32(out, key, gguf_get_val_f32(vocab, i));
        break;
      case GGUF_TYPE_UINT64:
        gguf_set_val_u64(out, key, gguf_get_val_u64(vocab, i));
        break;
      case GGUF_TYPE_INT64:
        gguf_set_val_i64(out, key, gguf_get_val_i64(vocab, i));
        break;
      case GGUF_TYPE_FLOAT64:
        gguf_set_val_f64(out, key, gguf_get_val_f64(vocab, i));
        break;
      case GGUF_TYPE_BOOL:
        gguf_set_val_bool(out, key, gguf_get_val_bool(vocab, i));
        break;
      case GGUF_TYPE_STRING:
        gguf_set_val_str(out, key, gguf_get_val_str(vocab, i));
        break;
      case GGUF_TYPE_ARRAY: {
        const size_t n = gguf_get_arr_n(vocab, i);
        const gguf_type elementType = gguf_get_arr_type(vocab, i);
        if (elementType == GGUF_TYPE_STRING) {
          std::vector<const char*> strings(n);
          for (size_t k = 0; k < n; ++k) {
            const char* restored = std::strcmp(key, "tokenizer.ggml.tokens") == 0 ? qwenAddedToken(vocab, i, k) : nullptr;
            strings[k] = restored ? restored : gguf_get_arr_str(vocab, i, k);
          }
          gguf_set_arr_str(out, key, strings.data(), n);
        } else if (std::strcmp(key, "tokenizer.ggml.token_type") == 0 && elementType == GGUF_TYPE_INT32) {
          std::vector<int32_t> types(static_cast<const int32_t*>(gguf_get_arr_data(vocab, i)),
                                     static_cast<const int32_t*>(gguf_get_arr_data(vocab, i)) + n);
          const int64_t tokensKey = gguf_find_key(vocab, "tokenizer.ggml.tokens");
          for (size_t k = 0; k < n && tokensKey >= 0; ++k)
            if (qwenAddedToken(vocab, tokensKey, k)) types[k] = 3;  // LLAMA_TOKEN_TYPE_CONTROL
          gguf_set_arr_data(out, key, elementType, types.data(), n);
        } else if (elementType != GGUF_TYPE_ARRAY) {
          gguf_set_arr_data(out, key, elementType, gguf_get_arr_data(vocab, i), n);
        }
        break;
      }
      default:
        break;
    }
  }
}

std::vector<TensorPlan> planTensors(const TestModelSpec& s, int64_t vocabSize, ggml_type wtype) {
  const int64_t headDim = s.embd / s.heads;
  const int64_t kvDim = headDim * s.kvHeads;
  // Weights ~ N(0, 1/fan_in) keep activations near unit scale through the residual stream; the
  // (tied) embedding is scaled so logits spread by a few units and greedy argmax is well separated.
  const float inScale = 1.0f / std::sqrt(static_cast<float>(s.embd));
  const float ffnScale = 1.0f / std::sqrt(static_cast<float>(s.ffn));
  std::vector<TensorPlan> plan;
  plan.push_back({"token_embd.weight", s.embd, vocabSize, wtype, Fill::Normal, 3.0f * inScale});
  plan.push_back({"output_norm.weight", s.embd, 1, GGML_TYPE_F32, Fill::Ones, 1});
  // An untied output matrix: with tied embeddings a random model mostly predicts its own input
  // token again and again, which exercises little. Same compute as tying.
  plan.push_back({"output.weight", s.embd, vocabSize, wtype, Fill::Normal, 3.0f * inScale});
  for (int32_t i = 0; i < s.layers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    plan.push_back({b + "attn_norm.weight", s.embd, 1, GGML_TYPE_F32, Fill::Ones, 1});
    plan.push_back({b + "attn_q.weight", s.embd, s.embd, wtype, Fill::Normal, inScale});
    plan.push_back({b + "attn_k.weight", s.embd, kvDim, wtype, Fill::Normal, inScale});
    plan.push_back({b + "attn_v.weight", s.embd, kvDim, wtype, Fill::Normal, inScale});
    if (s.arch == "qwen2") {
      plan.push_back({b + "attn_q.bias", s.embd, 1, GGML_TYPE_F32, Fill::Normal, 0.02f});
      plan.push_back({b + "attn_k.bias", kvDim, 1, GGML_TYPE_F32, Fill::Normal, 0.02f});
      plan.push_back({b + "attn_v.bias", kvDim, 1, GGML_TYPE_F32, Fill::Normal, 0.02f});
    }
    plan.push_back({b + "attn_output.weight", s.embd, s.embd, wtype, Fill::Normal, inScale});
    plan.push_back({b + "ffn_norm.weight", s.embd, 1, GGML_TYPE_F32, Fill::Ones, 1});
    plan.push_back({b + "ffn_gate.weight", s.embd, s.ffn, wtype, Fill::Normal, inScale});
    plan.push_back({b + "ffn_up.weight", s.embd, s.ffn, wtype, Fill::Normal, inScale});
    plan.push_back({b + "ffn_down.weight", s.ffn, s.embd, wtype, Fill::Normal, ffnScale});
  }
  return plan;
}

class OutputFile {
 public:
  explicit OutputFile(const std::string& path) : file_(std::fopen(path.c_str(), "wb")), path_(path) {
    if (!file_) throw EngineError(ErrorCode::Internal, "cannot create " + path + ": " + std::strerror(errno));
  }
  ~OutputFile() {
    if (file_) std::fclose(file_);
  }
  void write(const void* data, size_t n) {
    if (n && std::fwrite(data, 1, n, file_) != n)
      throw EngineError(ErrorCode::Internal, "cannot write " + path_ + ": " + std::strerror(errno));
  }
  void close() {
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok) throw EngineError(ErrorCode::Internal, "cannot write " + path_);
  }

 private:
  std::FILE* file_;
  std::string path_;
};

// Generates and converts one tensor in row chunks (bounded memory even for a 150k-row embedding).
void writeTensorData(OutputFile& out, const TensorPlan& t, uint64_t seed, size_t alignment) {
  Random random{seed};
  const int64_t chunkRows = std::max<int64_t>(1, (1 << 20) / t.cols);
  std::vector<float> values;
  std::vector<uint8_t> converted;
  size_t written = 0;
  for (int64_t row = 0; row < t.rows; row += chunkRows) {
    const int64_t n = std::min(chunkRows, t.rows - row);
    values.resize(static_cast<size_t>(n * t.cols));
    if (t.fill == Fill::Ones)
      std::fill(values.begin(), values.end(), 1.0f);
    else
      random.normals(values.data(), values.size(), t.scale);
    if (t.type == GGML_TYPE_F32) {
      out.write(values.data(), values.size() * sizeof(float));
      written += values.size() * sizeof(float);
    } else {
      converted.resize(ggml_row_size(t.type, t.cols) * static_cast<size_t>(n));
      const size_t bytes = ggml_quantize_chunk(t.type, values.data(), converted.data(), 0, n, t.cols, nullptr);
      out.write(converted.data(), bytes);
      written += bytes;
    }
  }
  static const uint8_t zeros[64] = {0};
  const size_t padding = (alignment - written % alignment) % alignment;
  out.write(zeros, padding);
}

}  // namespace

TestModelResult writeTestModel(const TestModelSpec& s) {
  if (s.arch != "qwen2" && s.arch != "llama")
    throw EngineError(ErrorCode::InvalidArgument, "arch must be 'qwen2' or 'llama', got '" + s.arch + "'");
  requirePositive("layers", s.layers);
  requirePositive("embd", s.embd);
  requirePositive("heads", s.heads);
  requirePositive("kvHeads", s.kvHeads);
  requirePositive("ffn", s.ffn);
  requirePositive("contextLength", s.contextLength);
  if (s.embd % s.heads != 0 || (s.embd / s.heads) % 2 != 0) {
    throw EngineError(ErrorCode::InvalidArgument, "embd (" + std::to_string(s.embd) + ") must be divisible by heads (" +
                                                      std::to_string(s.heads) + ") into an even head size");
  }
  if (s.heads % s.kvHeads != 0) throw EngineError(ErrorCode::InvalidArgument, "heads must be a multiple of kvHeads");
  if (s.out.empty()) throw EngineError(ErrorCode::InvalidArgument, "out (the path to write) is required");
  const ggml_type wtype = weightType(s.type);
  const int64_t block = ggml_blck_size(wtype);
  if (s.embd % block != 0 || s.ffn % block != 0) {
    throw EngineError(ErrorCode::InvalidArgument, "embd and ffn must be multiples of " + std::to_string(block) + " for type " + s.type);
  }

  ensureLlamaRuntime();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(s.vocabPath, ec)) throw EngineError(ErrorCode::ModelNotFound, "vocabulary GGUF not found: " + s.vocabPath);
  GgufContextPtr vocab(gguf_init_from_file(s.vocabPath.c_str(), gguf_init_params{/*no_alloc=*/true, /*ctx=*/nullptr}));
  if (!vocab) throw EngineError(ErrorCode::ModelNotGguf, "cannot read the vocabulary GGUF " + s.vocabPath);
  const int64_t tokensKey = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
  if (tokensKey < 0) throw EngineError(ErrorCode::InvalidArgument, s.vocabPath + " has no tokenizer.ggml.tokens");
  const int64_t vocabSize = static_cast<int64_t>(gguf_get_arr_n(vocab.get(), tokensKey));

  GgufContextPtr out(gguf_init_empty());
  gguf_context* g = out.get();
  const std::string a = s.arch;
  gguf_set_val_str(g, "general.architecture", a.c_str());
  const std::string name = "tandem-test-" + a + "-" + std::to_string(s.layers) + "x" + std::to_string(s.embd) + "-" + s.type;
  gguf_set_val_str(g, "general.name", name.c_str());
  gguf_set_val_u32(g, "general.file_type", static_cast<uint32_t>(fileTypeOf(wtype)));
  if (wtype == GGML_TYPE_Q8_0 || wtype == GGML_TYPE_Q4_0) gguf_set_val_u32(g, "general.quantization_version", 2);
  gguf_set_val_u32(g, (a + ".context_length").c_str(), static_cast<uint32_t>(s.contextLength));
  gguf_set_val_u32(g, (a + ".embedding_length").c_str(), static_cast<uint32_t>(s.embd));
  gguf_set_val_u32(g, (a + ".block_count").c_str(), static_cast<uint32_t>(s.layers));
  gguf_set_val_u32(g, (a + ".feed_forward_length").c_str(), static_cast<uint32_t>(s.ffn));
  gguf_set_val_u32(g, (a + ".attention.head_count").c_str(), static_cast<uint32_t>(s.heads));
  gguf_set_val_u32(g, (a + ".attention.head_count_kv").c_str(), static_cast<uint32_t>(s.kvHeads));
  gguf_set_val_f32(g, (a + ".attention.layer_norm_rms_epsilon").c_str(), 1e-6f);
  gguf_set_val_f32(g, (a + ".rope.freq_base").c_str(), a == "qwen2" ? 1000000.0f : 10000.0f);
  copyTokenizer(vocab.get(), g);

  // Tensor descriptions (no data): gguf computes each tensor's offset from them.
  const std::vector<TensorPlan> plan = planTensors(s, vocabSize, wtype);
  GgmlContextPtr meta(ggml_init(ggml_init_params{ggml_tensor_overhead() * (plan.size() + 1), nullptr, /*no_alloc=*/true}));
  TestModelResult result;
  for (const auto& t : plan) {
    ggml_tensor* tensor =
        t.rows == 1 ? ggml_new_tensor_1d(meta.get(), t.type, t.cols) : ggml_new_tensor_2d(meta.get(), t.type, t.cols, t.rows);
    ggml_set_name(tensor, t.name.c_str());
    gguf_add_tensor(g, tensor);
    result.parameters += static_cast<uint64_t>(t.cols * t.rows);
  }

  // Written beside the target and renamed into place, so a reader never sees half a model.
  fs::path target(s.out);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const std::string temp = s.out + ".partial";
  {
    OutputFile file(temp);
    std::vector<uint8_t> header(gguf_get_meta_size(g));
    gguf_get_meta_data(g, header.data());
    file.write(header.data(), header.size());
    for (size_t i = 0; i < plan.size(); ++i) writeTensorData(file, plan[i], s.seed * 1000003ull + i, gguf_get_alignment(g));
    file.close();
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw EngineError(ErrorCode::Internal, "cannot move the model into place at " + s.out);
  }
  result.path = s.out;
  result.bytes = fs::file_size(target, ec);
  return result;
}

}  // namespace tandem
