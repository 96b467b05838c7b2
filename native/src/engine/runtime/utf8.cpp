#include "engine/runtime/utf8.h"

namespace tandem {
namespace {

// Expected length of a sequence starting with `lead`, 0 if `lead` cannot start one.
size_t sequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `byte` may follow at `index` (1-based) in a sequence with `lead` (rejects overlongs,
// surrogates and code points above U+10FFFF at the second byte, as the standard requires).
bool validContinuation(unsigned char lead, size_t index, unsigned char byte) {
  if ((byte & 0xC0) != 0x80) return false;
  if (index != 1) return true;
  if (lead == 0xE0) return byte >= 0xA0;
  if (lead == 0xED) return byte <= 0x9F;
  if (lead == 0xF0) return byte >= 0x90;
  if (lead == 0xF4) return byte <= 0x8F;
  return true;
}

}  // namespace

std::optional<size_t> findInvalidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const size_t len = sequenceLength(lead);
    if (len == 0 || i + len > bytes.size()) return i;
    for (size_t k = 1; k < len; ++k)
      if (!validContinuation(lead, k, static_cast<unsigned char>(bytes[i + k]))) return i;
    i += len;
  }
  return std::nullopt;
}

std::optional<size_t> findLoneSurrogate(const char16_t* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    const char16_t c = text[i];
    if (c >= 0xD800 && c <= 0xDBFF) {
      if (i + 1 < length && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
        ++i;
        continue;
      }
      return i;
    }
    if (c >= 0xDC00 && c <= 0xDFFF) return i;
  }
  return std::nullopt;
}

size_t completeUtf8Prefix(std::string_view bytes) {
  // Only the last 3 bytes can belong to an unfinished character.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t start = n - back;
    const auto lead = static_cast<unsigned char>(bytes[start]);
    if ((lead & 0xC0) == 0x80) continue;  // continuation byte: look further back for its lead
    const size_t len = sequenceLength(lead);
    if (len <= back) return n;  // complete (or malformed: nothing to wait for)
    for (size_t k = 1; k < back; ++k)
      if (!validContinuation(lead, k, static_cast<unsigned char>(bytes[start + k]))) return n;
    return start;  // a valid beginning of a longer character: hold it back
  }
  return n;
}

}  // namespace tandem
