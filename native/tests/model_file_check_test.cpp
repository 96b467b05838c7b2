// GGUF pre-validation on synthetic files written into a temporary directory.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "engine/engine_error.h"
#include "engine/llama_handles.h"
#include "engine/model_file_check.h"
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
