#include "gguf_image.h"

#include <cstring>
#include <stdexcept>

namespace tandem::fuzz {
namespace {

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  const char* at(size_t n) {
    if (n > bytes_.size() - pos_) throw std::runtime_error("GGUF seed ends early at byte " + std::to_string(pos_));
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint32_t u32() {
    uint32_t v;
    std::memcpy(&v, at(4), 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v;
    std::memcpy(&v, at(8), 8);
    return v;
  }
  std::string string() {
    const uint64_t n = u64();
    return std::string(at(n), n);
  }
  void seek(size_t p) { pos_ = p; }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

// The encoded bytes of one value of `type` at the reader's position.
std::string readValue(Reader& r, uint32_t type) {
  const size_t start = r.pos();
  if (type == kString) {
    r.string();
  } else if (type == kArray) {
    const uint32_t element = r.u32();
    const uint64_t n = r.u64();
    for (uint64_t i = 0; i < n; ++i) readValue(r, element);
  } else if (size_t size = scalarSize(type)) {
    r.at(size);
  } else {
    throw std::runtime_error("GGUF seed has an unknown value type " + std::to_string(type));
  }
  const size_t end = r.pos();
  r.seek(start);
  return std::string(r.at(end - start), end - start);
}

uint32_t readerAlignment(const std::vector<GgufKv>& kvs) {
  for (const auto& kv : kvs) {
    if (kv.key != "general.alignment" || kv.type != kU32 || kv.value.size() != 4) continue;
    uint32_t a;
    std::memcpy(&a, kv.value.data(), 4);
    if (a != 0 && (a & (a - 1)) == 0) return a;
  }
  return 32;
}

}  // namespace

size_t scalarSize(uint32_t type) {
  switch (type) {
    case kU8:
    case kI8:
    case kBool:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    case kU64:
    case kI64:
    case kF64:
      return 8;
    default:
      return 0;
  }
}

void putU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void putU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
void putString(std::string& out, const std::string& s) {
  putU64(out, s.size());
  out += s;
}
std::string encodeU32(uint32_t v) {
  std::string s;
  putU32(s, v);
  return s;
}
std::string encodeString(const std::string& s) {
  std::string out;
  putString(out, s);
  return out;
}

GgufImage GgufImage::parse(const std::string& bytes) {
  Reader r(bytes);
  if (std::string(r.at(4), 4) != "GGUF") throw std::runtime_error("seed is not a GGUF file");
  GgufImage image;
  image.version = r.u32();
  const uint64_t tensorCount = r.u64();
  const uint64_t kvCount = r.u64();
  for (uint64_t i = 0; i < kvCount; ++i) {
    GgufKv kv;
    kv.key = r.string();
    kv.type = r.u32();
    kv.value = readValue(r, kv.type);
    image.kvs.push_back(std::move(kv));
  }
  for (uint64_t i = 0; i < tensorCount; ++i) {
    GgufTensor t;
    t.name = r.string();
    const uint32_t dims = r.u32();
    for (uint32_t d = 0; d < dims; ++d) t.dims.push_back(r.u64());
    t.type = r.u32();
    t.offset = r.u64();
    image.tensors.push_back(std::move(t));
  }
  const uint32_t alignment = readerAlignment(image.kvs);
  const size_t dataStart = (r.pos() + alignment - 1) / alignment * alignment;
  if (dataStart > bytes.size()) throw std::runtime_error("GGUF seed has no data section");
  image.data = bytes.substr(dataStart);
  return image;
}

std::string GgufImage::serialize() const {
  std::string out = "GGUF";
  putU32(out, version);
  putU64(out, tensors.size());
  putU64(out, kvs.size());
  for (const auto& kv : kvs) {
    putString(out, kv.key);
    putU32(out, kv.type);
    out += kv.value;
  }
  for (const auto& t : tensors) {
    putString(out, t.name);
    putU32(out, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) putU64(out, d);
    putU32(out, t.type);
    putU64(out, t.offset);
  }
  const uint32_t alignment = readerAlignment(kvs);
  if (!tensors.empty()) out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  return out + data;
}

GgufKv* GgufImage::find(const std::string& key) {
  for (auto& kv : kvs)
    if (kv.key == key) return &kv;
  return nullptr;
}

const GgufKv* GgufImage::find(const std::string& key) const {
  for (const auto& kv : kvs)
    if (kv.key == key) return &kv;
  return nullptr;
}

bool decodeArray(const std::string& value, GgufArray& out) {
  if (value.size() < 12) return false;
  std::memcpy(&out.elementType, value.data(), 4);
  uint64_t n;
  std::memcpy(&n, value.data() + 4, 8);
  out.elements.clear();
  size_t pos = 12;
  const size_t size = scalarSize(out.elementType);
  if (out.elementType != kString && size == 0) return false;
  if (size != 0 && n > (value.size() - pos) / size) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (out.elementType == kString) {
      if (value.size() - pos < 8) return false;
      uint64_t len;
      std::memcpy(&len, value.data() + pos, 8);
      pos += 8;
      if (len > value.size() - pos) return false;
      out.elements.push_back(value.substr(pos, len));
      pos += len;
    } else {
      out.elements.push_back(value.substr(pos, size));
      pos += size;
    }
  }
  return pos == value.size();
}

std::string encodeArray(const GgufArray& array) {
  std::string out;
  putU32(out, array.elementType);
  putU64(out, array.elements.size());
  for (const auto& e : array.elements) {
    if (array.elementType == kString)
      putString(out, e);
    else
      out += e;
  }
  return out;
}

}  // namespace tandem::fuzz
