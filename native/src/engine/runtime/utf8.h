// UTF-8 / UTF-16 checks used on input (reject malformed text with its offset) and on output
// (stream only whole characters).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tandem {

// Byte offset of the first byte that is not part of a well-formed UTF-8 sequence, if any.
std::optional<size_t> findInvalidUtf8(std::string_view bytes);

// Index of the first unpaired surrogate in UTF-16 text (what JS's isWellFormed() rejects).
std::optional<size_t> findLoneSurrogate(const char16_t* text, size_t length);

// Length of the longest prefix of `bytes` that does not end inside a character that later bytes
// could still complete. Malformed bytes are not held back (nothing could complete them).
size_t completeUtf8Prefix(std::string_view bytes);

}  // namespace tandem
