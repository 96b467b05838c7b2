#include "engine/model_file_check.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "engine/engine_error.h"
#include "engine/llama_handles.h"
#include "engine/llama_runtime.h"

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

}  // namespace

std::string fileTypeName(int32_t fileType) {
  switch (fileType) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 19: return "IQ2_XXS";
    case 20: return "IQ2_XS";
    case 21: return "Q2_K_S";
    case 22: return "IQ3_XS";
    case 23: return "IQ3_XXS";
    case 24: return "IQ1_S";
    case 25: return "IQ4_NL";
    case 26: return "IQ3_S";
    case 27: return "IQ3_M";
    case 28: return "IQ2_S";
    case 29: return "IQ2_M";
    case 30: return "IQ4_XS";
    case 31: return "IQ1_M";
    case 32: return "BF16";
    case 36: return "TQ1_0";
    case 37: return "TQ2_0";
    case 38: return "MXFP4_MOE";
    default: return "";
  }
}

ModelFileSummary checkModelFile(const std::string& path, bool requireTensors) {
  namespace fs = std::filesystem;
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
    if (t == GGUF_TYPE_UINT32) summary.fileType = static_cast<int32_t>(gguf_get_val_u32(gguf.get(), ftypeId));
    else if (t == GGUF_TYPE_INT32) summary.fileType = gguf_get_val_i32(gguf.get(), ftypeId);
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
    if (gguf_get_tensor_size(gguf.get(), i) > largest) {
      largest = gguf_get_tensor_size(gguf.get(), i);
      summary.dominantTensorType = ggml_type_name(gguf_get_tensor_type(gguf.get(), i));
    }
  }
  return summary;
}

}  // namespace tandem
