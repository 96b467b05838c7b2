// GGUF pre-validation on synthetic files written into a temporary directory, and the metadata
// rules (values llama.cpp would abort the process on) on GGUF contexts built in memory.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/model/model_file_check.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_handles.h"
#include "test_runner.h"

using namespace tandem;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("tandem-cpp-tests-" + std::to_string(std::random_device{}()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string writeBytes(const std::string& name, const std::string& bytes) {
  const fs::path p = scratch() / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

// A GGUF with one f32 tensor of `elements` values; optionally cut to `keepBytes`.
std::string writeGguf(const std::string& name, int64_t elements, bool withTensor, long keepBytes = -1) {
  GgufContextPtr g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", "llama");
  gguf_set_val_u32(g.get(), "general.file_type", 7);
  GgmlContextPtr meta(ggml_init(ggml_init_params{ggml_tensor_overhead() * 2, nullptr, true}));
  const fs::path p = scratch() / name;
  if (withTensor) {
    ggml_tensor* t = ggml_new_tensor_1d(meta.get(), GGML_TYPE_F32, elements);
    ggml_set_name(t, "token_embd.weight");
    gguf_add_tensor(g.get(), t);
  }
  std::vector<char> header(gguf_get_meta_size(g.get()));
  gguf_get_meta_data(g.get(), header.data());
  std::string bytes(header.begin(), header.end());
  if (withTensor) bytes += std::string(static_cast<size_t>(elements) * 4, '\0');
  if (keepBytes >= 0) bytes.resize(static_cast<size_t>(keepBytes));
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

}  // namespace

TEST("model file: missing, directory, empty") {
  CHECK_THROWS_CODE(checkModelFile((scratch() / "nope.gguf").string()), ErrorCode::ModelNotFound);
  CHECK_THROWS_CODE(checkModelFile(scratch().string()), ErrorCode::ModelIsDirectory);
  CHECK_THROWS_CODE(checkModelFile(writeBytes("empty.gguf", "")), ErrorCode::ModelEmpty);
}

TEST("model file: wrong magic is not GGUF") {
  CHECK_THROWS_CODE(checkModelFile(writeBytes("text.gguf", "hello, this is not a model")), ErrorCode::ModelNotGguf);
  CHECK_THROWS_CODE(checkModelFile(writeBytes("short.gguf", "GG")), ErrorCode::ModelNotGguf);
}

TEST("model file: a complete GGUF passes and is summarised") {
  const auto summary = checkModelFile(writeGguf("ok.gguf", 256, true));
  CHECK_EQ(summary.tensorCount, int64_t(1));
  CHECK_EQ(summary.architecture, std::string("llama"));
  CHECK_EQ(summary.fileType, 7);
  CHECK_EQ(fileTypeName(summary.fileType), std::string("Q8_0"));
}

TEST("model file: tensor data cut short is truncated") {
  const std::string full = writeGguf("full.gguf", 4096, true);
  const long size = static_cast<long>(fs::file_size(full));
  CHECK_THROWS_CODE(checkModelFile(writeGguf("cut.gguf", 4096, true, size - 100)), ErrorCode::ModelTruncated);
  CHECK_THROWS_CODE(checkModelFile(writeGguf("cut-header.gguf", 4096, true, 20)), ErrorCode::ModelTruncated);
}

TEST("model file: no tensors (vocab only)") {
  CHECK_THROWS_CODE(checkModelFile(writeGguf("vocab.gguf", 0, false)), ErrorCode::ModelNoTensors);
}

TEST("model file: a NUL in the path is refused, not cut short") {
  const std::string real = writeGguf("nul-target.gguf", 256, true);
  CHECK_THROWS_CODE(checkModelFile(real + std::string(1, '\0') + ".ignored"), ErrorCode::InvalidArgument);
}

// A GGUF (v3) written by hand, as a converter with general.alignment = `alignment` would: unlike
// gguf's own writer, which pads to 32 whatever the key says.
std::string handWrittenGguf(uint32_t alignment, const std::string& name) {
  std::string out = "GGUF";
  auto u32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  auto str = [&](const std::string& s) {
    u64(s.size());
    out += s;
  };
  u32(3);
  u64(1);  // tensors
  u64(3);  // keys
  str("general.architecture"), u32(GGUF_TYPE_STRING), str("llama");
  str("general.alignment"), u32(GGUF_TYPE_UINT32), u32(alignment);
  str("general.name"), u32(GGUF_TYPE_STRING), str(name);
  str("token_embd.weight"), u32(1), u64(64), u32(GGML_TYPE_F32), u64(0);
  out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  return out + std::string(256, '\0');
}

TEST("model file: tensor data off a 32-byte boundary (general.alignment 8) is refused") {
  // A name length that puts the data at 8 mod 32: gguf reads it, but mapping it would abort ggml.
  for (size_t pad = 0; pad < 32; ++pad) {
    const std::string bytes = handWrittenGguf(8, std::string(pad, 'x'));
    if ((bytes.size() - 256) % 32 == 0) continue;
    const std::string path = writeBytes("aligned-8.gguf", bytes);
    CHECK_THROWS_CODE(checkModelFile(path), ErrorCode::ModelLoadFailed);
    CHECK_EQ(checkModelFile(writeBytes("aligned-32.gguf", handWrittenGguf(32, std::string(pad, 'x')))).tensorCount, int64_t(1));
    return;
  }
  CHECK(false);  // no name length gave an unaligned header
}

namespace {

// Metadata of a small llama-layout model that passes every rule; each test breaks one thing.
GgufContextPtr metadata(const char* arch = "llama") {
  GgufContextPtr g(gguf_init_empty());
  const std::string a = arch;
  gguf_set_val_str(g.get(), "general.architecture", arch);
  gguf_set_val_u32(g.get(), (a + ".context_length").c_str(), 2048);
  gguf_set_val_u32(g.get(), (a + ".embedding_length").c_str(), 64);
  gguf_set_val_u32(g.get(), (a + ".block_count").c_str(), 2);
  gguf_set_val_u32(g.get(), (a + ".feed_forward_length").c_str(), 128);
  gguf_set_val_u32(g.get(), (a + ".attention.head_count").c_str(), 4);
  gguf_set_val_u32(g.get(), (a + ".attention.head_count_kv").c_str(), 2);
  gguf_set_val_f32(g.get(), (a + ".attention.layer_norm_rms_epsilon").c_str(), 1e-6f);
  gguf_set_val_str(g.get(), "tokenizer.ggml.model", "gpt2");
  const char* tokens[] = {"a", "b", "c", "d"};
  gguf_set_arr_str(g.get(), "tokenizer.ggml.tokens", tokens, 4);
  const int32_t types[] = {1, 1, 1, 1};
  gguf_set_arr_data(g.get(), "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 4);
  return g;
}

// "" when the metadata passes, else the message (which must come with ModelLoadFailed).
std::string problem(const GgufContextPtr& g, bool hyperparameters = true) {
  try {
    checkModelMetadata(g.get(), hyperparameters, "test.gguf");
    return "";
  } catch (const EngineError& e) {
    if (e.code() != ErrorCode::ModelLoadFailed) return std::string("wrong code ") + errorCodeName(e.code());
    return e.what();
  }
}

bool mentions(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

void setU32Array(const GgufContextPtr& g, const std::string& key, std::vector<uint32_t> values) {
  gguf_set_arr_data(g.get(), key.c_str(), GGUF_TYPE_UINT32, values.data(), values.size());
}

}  // namespace

TEST("metadata: a sound model passes; a vocabulary-only load skips the hyperparameters") {
  CHECK_EQ(problem(metadata()), std::string());
  auto g = metadata();
  gguf_set_val_u32(g.get(), "llama.block_count", 0);
  CHECK_EQ(problem(g, /*hyperparameters=*/false), std::string());
}

TEST("metadata: block_count must be 1..512 (llama.cpp's layer limit)") {
  for (uint32_t bad : {0u, 513u, 0xffffffffu}) {
    auto g = metadata();
    gguf_set_val_u32(g.get(), "llama.block_count", bad);
    const std::string why = problem(g);
    CHECK(mentions(why, "llama.block_count (the number of layers) is " + std::to_string(bad) + "; it must be from 1 to 512"));
  }
  auto g = metadata();
  gguf_set_val_u32(g.get(), "llama.block_count", 512);
  CHECK_EQ(problem(g), std::string());
}

TEST("metadata: context and embedding lengths must not be 0; nextn layers must leave one") {
  for (const char* key : {"llama.context_length", "llama.embedding_length"}) {
    auto g = metadata();
    gguf_set_val_u32(g.get(), key, 0);
    CHECK(mentions(problem(g), std::string(key) + " is 0"));
  }
  auto g = metadata();
  gguf_set_val_u32(g.get(), "llama.nextn_predict_layers", 2);
  CHECK(mentions(problem(g), "llama.nextn_predict_layers is 2 but the model has only 2 layers"));
  gguf_set_val_u32(g.get(), "llama.nextn_predict_layers", 1);
  CHECK_EQ(problem(g), std::string());
}

TEST("metadata: expert counts follow llama.cpp's asserts") {
  struct Case {
    uint32_t experts, used, groups, groupsUsed;
    const char* expected;
  };
  const Case cases[] = {
      {1025, 2, 0, 0, "expert_count is 1025; llama.cpp supports at most 1024"},
      {8, 9, 0, 0, "expert_used_count is 9 but llama.expert_count is 8"},
      {8, 0, 0, 0, "expert_used_count is 0 (or missing) but the model has 8 experts"},
      {0, 2, 0, 0, "expert_used_count is 2 but the model has no experts"},
      {0, 0, 1, 0, "expert_group_count is 1 but the model has no experts"},
      {8, 2, 8, 1, "expert_group_count is 8; it must be less than llama.expert_count (8)"},
      {8, 2, 3, 1, "expert_group_count is 3, which does not divide llama.expert_count (8)"},
      {8, 2, 2, 0, "expert_group_used_count is 0; with 2 expert groups it must be from 1 to 1"},
      {8, 2, 2, 2, "expert_group_used_count is 2; with 2 expert groups it must be from 1 to 1"},
      {8, 2, 2, 1, nullptr},
      {1024, 8, 0, 0, nullptr},
  };
  for (const Case& c : cases) {
    auto g = metadata();
    gguf_set_val_u32(g.get(), "llama.expert_count", c.experts);
    gguf_set_val_u32(g.get(), "llama.expert_used_count", c.used);
    if (c.groups) gguf_set_val_u32(g.get(), "llama.expert_group_count", c.groups);
    if (c.groupsUsed) gguf_set_val_u32(g.get(), "llama.expert_group_used_count", c.groupsUsed);
    const std::string why = problem(g);
    if (c.expected)
      CHECK_EQ(mentions(why, c.expected) ? std::string(c.expected) : why, std::string(c.expected));
    else
      CHECK_EQ(why, std::string());
  }
}

TEST("metadata: per-layer expert_used_count is judged layer by layer; hunyuan's single expert is none") {
  auto g = metadata();
  gguf_set_val_u32(g.get(), "llama.expert_count", 8);
  setU32Array(g, "llama.expert_used_count", {2, 9});
  CHECK(mentions(problem(g), "expert_used_count is 9 in layer 1"));
  setU32Array(g, "llama.expert_used_count", {2, 2, 2});  // wrong length: llama.cpp itself refuses it
  CHECK_EQ(problem(g), std::string());

  auto h = metadata("hunyuan_vl");
  gguf_set_val_u32(h.get(), "hunyuan_vl.expert_count", 1);
  gguf_set_val_u32(h.get(), "hunyuan_vl.expert_used_count", 1);
  CHECK_EQ(problem(h), std::string());
}

TEST("metadata: key/value heads must divide the attention heads, per layer") {
  auto g = metadata();
  gguf_set_val_u32(g.get(), "llama.attention.head_count_kv", 3);
  CHECK(mentions(problem(g), "llama.attention.head_count_kv is 3 but llama.attention.head_count is 4"));
  setU32Array(g, "llama.attention.head_count", {4, 0});  // a layer without attention
  setU32Array(g, "llama.attention.head_count_kv", {2, 0});
  CHECK_EQ(problem(g), std::string());
}

TEST("metadata: rope.scaling.type must be a name llama.cpp knows") {
  for (const char* ok : {"none", "linear", "yarn", "longrope"}) {
    auto g = metadata();
    gguf_set_val_str(g.get(), "llama.rope.scaling.type", ok);
    CHECK_EQ(problem(g), std::string());
  }
  auto g = metadata();
  gguf_set_val_str(g.get(), "llama.rope.scaling.type", "YaRN\n");
  CHECK(mentions(problem(g), "llama.rope.scaling.type is 'YaRN\\x0a'; it must be one of none, linear, yarn, longrope"));
}

TEST("metadata: norm epsilons must be small positive numbers") {
  for (const char* key : {"llama.attention.layer_norm_rms_epsilon", "llama.attention.layer_norm_epsilon"}) {
    for (float bad : {-1e-6f, 0.0f, std::nanf(""), INFINITY}) {
      auto g = metadata();
      gguf_set_val_f32(g.get(), key, bad);
      CHECK(mentions(problem(g), std::string(key) + " is "));
    }
  }
  auto g = metadata();
  gguf_set_val_f64(g.get(), "llama.attention.layer_norm_rms_epsilon", -1.0);  // llama.cpp refuses the type itself
  CHECK_EQ(problem(g), std::string());
}

TEST("metadata: head sizes where the architecture's graph asserts them") {
  auto g = metadata("qwen2");
  gguf_set_val_u32(g.get(), "qwen2.attention.key_length", 8);  // values stay 64 / 4 = 16
  CHECK(mentions(problem(g), "the key head size is 8 but the value head size is 16"));
  auto r = metadata("qwen2");
  gguf_set_val_u32(r.get(), "qwen2.rope.dimension_count", 8);
  CHECK(mentions(problem(r), "qwen2.rope.dimension_count is 8 but the attention head size is 16"));
  // phi2 rotates part of each head, and gemma allows other key/value sizes: no rule for them.
  auto phi = metadata("phi2");
  gguf_set_val_u32(phi.get(), "phi2.rope.dimension_count", 8);
  CHECK_EQ(problem(phi), std::string());
  auto gemma = metadata("gemma");
  gguf_set_val_u32(gemma.get(), "gemma.attention.key_length", 8);
  CHECK_EQ(problem(gemma), std::string());
}

TEST("metadata: mixture-of-experts-only architectures need experts") {
  auto g = metadata("smallthinker");
  CHECK(mentions(problem(g), "llama.cpp's smallthinker models are mixtures of experts"));
  gguf_set_val_u32(g.get(), "smallthinker.expert_count", 4);
  gguf_set_val_u32(g.get(), "smallthinker.expert_used_count", 2);
  CHECK_EQ(problem(g), std::string());
}

TEST("metadata: tokenizer tokens must be unique, as llama.cpp reads them") {
  auto g = metadata();
  const char* dup[] = {"a", "b", "c", "b"};
  gguf_set_arr_str(g.get(), "tokenizer.ggml.tokens", dup, 4);
  CHECK(mentions(problem(g), "tokenizer.ggml.tokens has the token 'b' twice (ids 1 and 3)"));
  // An empty token is read as [EMPTY_<id>], which can clash with a real one.
  const char* empty[] = {"a", "", "[EMPTY_1]", "d"};
  gguf_set_arr_str(g.get(), "tokenizer.ggml.tokens", empty, 4);
  CHECK(mentions(problem(g), "the token '[EMPTY_1]' twice (ids 1 and 2)"));
  // ... and it must not break the check on a vocabulary-only load either.
  CHECK(mentions(problem(g, false), "twice"));
}

TEST("metadata: token types and scores cover every token; a tokenizer is required") {
  auto g = metadata();
  const int32_t types[] = {1, 1, 1};
  gguf_set_arr_data(g.get(), "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 3);
  CHECK(mentions(problem(g), "tokenizer.ggml.token_type has 3 entries but tokenizer.ggml.tokens has 4"));
  auto s = metadata();
  const float scores[] = {0, 0};
  gguf_set_arr_data(s.get(), "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, 2);
  CHECK(mentions(problem(s), "tokenizer.ggml.scores has 2 entries"));
  auto n = metadata();
  gguf_set_val_str(n.get(), "tokenizer.ggml.model", "none");
  CHECK(mentions(problem(n), "the model has no tokenizer"));
}

TEST("metadata: multi-section RoPE architectures need a section; WordPiece has no byte tokens") {
  auto g = metadata("paddleocr");
  CHECK(mentions(problem(g), "paddleocr.rope.dimension_sections is missing"));
  const int32_t zero[] = {0, 0, 0, 0}, ok[] = {16, 24, 24, 0};
  gguf_set_arr_data(g.get(), "paddleocr.rope.dimension_sections", GGUF_TYPE_INT32, zero, 4);
  CHECK(mentions(problem(g), "has no positive section among its first three"));
  gguf_set_arr_data(g.get(), "paddleocr.rope.dimension_sections", GGUF_TYPE_INT32, ok, 4);
  CHECK_EQ(problem(g), std::string());

  auto w = metadata();
  gguf_set_val_str(w.get(), "tokenizer.ggml.model", "bert");
  const int32_t types[] = {1, 1, 6, 1};
  gguf_set_arr_data(w.get(), "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 4);
  CHECK(mentions(problem(w), "marks token 2 as a byte token"));
  gguf_set_val_str(w.get(), "tokenizer.ggml.model", "llama");  // SentencePiece has them
  CHECK_EQ(problem(w), std::string());
}

TEST("metadata: per-layer key/value head counts must match each layer's K and V weights") {
  auto g = metadata();
  GgmlContextPtr meta(ggml_init(ggml_init_params{ggml_tensor_overhead() * 8, nullptr, true}));
  for (int il = 0; il < 2; ++il) {  // layer-0 shapes everywhere: 2 KV heads of 16 = 32 rows
    for (const char* w : {"attn_k", "attn_v"}) {
      ggml_tensor* t = ggml_new_tensor_2d(meta.get(), GGML_TYPE_F32, 64, 32);
      ggml_set_name(t, ("blk." + std::to_string(il) + "." + w + ".weight").c_str());
      gguf_add_tensor(g.get(), t);
    }
  }
  setU32Array(g, "llama.attention.head_count_kv", {2, 2});
  CHECK_EQ(problem(g), std::string());
  setU32Array(g, "llama.attention.head_count_kv", {2, 1});
  CHECK(mentions(
      problem(g),
      "tensor blk.1.attn_k.weight holds 32 rows, but llama.attention.head_count_kv is 1 in layer 1, which needs 1 × head size 16 = 16"));
}

TEST("metadata: the whitespace pre-tokenizer needs the whitespace tokenizer") {
  auto g = metadata();
  gguf_set_val_str(g.get(), "tokenizer.ggml.pre", "whitespace");
  CHECK(mentions(problem(g), "tokenizer.ggml.pre is 'whitespace', which only works with tokenizer.ggml.model 'whitespace', not 'gpt2'"));
  gguf_set_val_str(g.get(), "tokenizer.ggml.model", "whitespace");
  CHECK_EQ(problem(g), std::string());
}

TEST("model file: integer weights are refused (ggml has no kernels for them)") {
  GgufContextPtr g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", "llama");
  GgmlContextPtr meta(ggml_init(ggml_init_params{ggml_tensor_overhead() * 2, nullptr, true}));
  ggml_tensor* t = ggml_new_tensor_1d(meta.get(), GGML_TYPE_I32, 64);
  ggml_set_name(t, "output_norm.weight");
  gguf_add_tensor(g.get(), t);
  std::vector<char> header(gguf_get_meta_size(g.get()));
  gguf_get_meta_data(g.get(), header.data());
  CHECK_THROWS_CODE(checkModelFile(writeBytes("i32-norm.gguf", std::string(header.begin(), header.end()) + std::string(256, '\0'))),
                    ErrorCode::ModelLoadFailed);
}

TEST("metadata: single architectures' own asserts") {
  auto h = metadata("hrm_text");
  gguf_set_val_u32(h.get(), "hrm_text.hrm.layers_per_stack", 1);
  gguf_set_val_u32(h.get(), "hrm_text.hrm.h_cycles", 0);
  gguf_set_val_u32(h.get(), "hrm_text.hrm.l_cycles", 1);
  CHECK(mentions(problem(h), "hrm_text.hrm.h_cycles is 0"));
  gguf_set_val_u32(h.get(), "hrm_text.hrm.h_cycles", 1);  // 1 × 1 × 2 = 2 layers
  CHECK_EQ(problem(h), std::string());
  gguf_set_val_u32(h.get(), "hrm_text.hrm.l_cycles", 2);
  CHECK(mentions(problem(h), "block_count does not equal"));

  auto j = metadata("jamba");
  gguf_set_val_u32(j.get(), "jamba.ssm.inner_size", 100);
  CHECK(mentions(problem(j), "jamba.ssm.inner_size is 100; llama.cpp's jamba models need twice"));
  gguf_set_val_u32(j.get(), "jamba.ssm.inner_size", 128);
  CHECK_EQ(problem(j), std::string());

  auto d = metadata("deepseek2");
  gguf_set_val_u32(d.get(), "deepseek2.rope.dimension_count", 16);  // all of the 16-wide key head
  CHECK(mentions(problem(d), "need part of each key head without RoPE"));
  gguf_set_val_u32(d.get(), "deepseek2.attention.key_length_mla", 24);
  gguf_set_val_u32(d.get(), "deepseek2.attention.value_length_mla", 16);
  CHECK_EQ(problem(d), std::string());
}
