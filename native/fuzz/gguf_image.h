// A GGUF file taken apart into its metadata entries, tensor descriptions and tensor data, so the
// fuzzer can change one value (and its length) and write a file whose other parts still line up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::fuzz {

// GGUF value types (gguf.h's enum gguf_type, spelled out so mutations can use any number).
enum : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

// Bytes of one scalar of `type`; 0 for strings, arrays and unknown types.
size_t scalarSize(uint32_t type);

struct GgufKv {
  std::string key;
  uint32_t type = 0;
  std::string value;  // the encoded value as it follows the type field in the file
};

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0;
};

struct GgufImage {
  uint32_t version = 3;
  std::vector<GgufKv> kvs;
  std::vector<GgufTensor> tensors;
  std::string data;  // the tensor data section, from its (aligned) start to the end of the file

  // Throws std::runtime_error for what the fuzzer's own seeds never contain.
  static GgufImage parse(const std::string& bytes);
  // Header, entries and tensor descriptions, padded to the alignment the reader will use
  // (general.alignment when it is a u32 power of two, else 32), then the data.
  std::string serialize() const;

  GgufKv* find(const std::string& key);
  const GgufKv* find(const std::string& key) const;
};

// Encoding helpers (little-endian, as GGUF is on every platform llama.cpp reads it).
void putU32(std::string& out, uint32_t v);
void putU64(std::string& out, uint64_t v);
void putString(std::string& out, const std::string& s);
std::string encodeU32(uint32_t v);
std::string encodeString(const std::string& s);

// Arrays: element type, count and elements decoded / encoded.
struct GgufArray {
  uint32_t elementType = 0;
  std::vector<std::string> elements;  // each element's encoded bytes (strings without their length)
};
// false when `value` is not a well-formed array encoding.
bool decodeArray(const std::string& value, GgufArray& out);
std::string encodeArray(const GgufArray& array);

}  // namespace tandem::fuzz
