#include "engine/decode/document_kv_store.h"

#include <algorithm>

namespace tandem {

bool DocumentKvStore::fits(size_t bytes) const {
  return limits_.maxDocuments > 0 && limits_.maxBytes > 0 && bytes <= static_cast<uint64_t>(limits_.maxBytes);
}

bool DocumentKvStore::put(std::string key, std::vector<int32_t> tokens, std::vector<uint8_t> state) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key == key) {
      remove(i);
      break;
    }
  }
  DocumentKvEntry entry{std::move(key), std::move(tokens), std::move(state), ++clock_};
  if (!fits(entry.bytes())) return false;
  bytes_ += static_cast<int64_t>(entry.bytes());
  entries_.push_back(std::move(entry));
  // The new entry is the newest and fits alone, so eviction stops before reaching it.
  while (entries_.size() > static_cast<size_t>(limits_.maxDocuments) || bytes_ > limits_.maxBytes) {
    const auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                         [](const DocumentKvEntry& a, const DocumentKvEntry& b) { return a.lastUse < b.lastUse; });
    remove(static_cast<size_t>(oldest - entries_.begin()));
  }
  return true;
}

std::optional<DocumentKvEntry> DocumentKvStore::take(const std::string& key) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key != key) continue;
    DocumentKvEntry entry = std::move(entries_[i]);
    bytes_ -= static_cast<int64_t>(entry.bytes());
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
    return entry;
  }
  return std::nullopt;
}

void DocumentKvStore::clear() {
  entries_.clear();
  bytes_ = 0;
}

DocumentKvStats DocumentKvStore::stats() const {
  return DocumentKvStats{static_cast<int32_t>(entries_.size()), bytes_, limits_.maxBytes, limits_.maxDocuments};
}

void DocumentKvStore::remove(size_t index) {
  bytes_ -= static_cast<int64_t>(entries_[index].bytes());
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
}

}  // namespace tandem
