// Saved KV of the documents a session served recently (Session::switchDocument): when the user
// switches editor files, each request's prompt is for another file and prefix reuse alone would
// throw the previous file's KV away; the session saves sequence 0 here under the document's key
// and restores it when that key comes back. This class is the bookkeeping only (no model): LRU by
// entry count and by total bytes, sized by SessionOptions.documentKv*.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

// The longest key a request may name (request.kvKey): a document URI, not a document.
constexpr size_t kMaxKvKeyBytes = 1024;

struct DocumentKvLimits {
  int64_t maxBytes = int64_t{256} << 20;  // saved state + token lists; 0 disables saving
  int32_t maxDocuments = 3;               // saved documents besides the one in the context
};

struct DocumentKvEntry {
  std::string key;
  std::vector<int32_t> tokens;  // the tokens whose KV `state` holds, position 0 on
  std::vector<uint8_t> state;   // llama_state_seq_get_data of sequence 0
  uint64_t lastUse = 0;         // the store's use counter when it was put (bigger = newer)

  size_t bytes() const { return state.size() + tokens.size() * sizeof(int32_t); }
};

struct DocumentKvStats {
  int32_t documents = 0;
  int64_t bytes = 0;
  int64_t limitBytes = 0;
  int32_t maxDocuments = 0;
};

class DocumentKvStore {
 public:
  explicit DocumentKvStore(DocumentKvLimits limits = {}) : limits_(limits) {}

  // Whether an entry of `bytes` (DocumentKvEntry::bytes) would be kept; false for every size when
  // saving is disabled. The session asks before copying a sequence out of llama.
  bool fits(size_t bytes) const;
  // Keeps an entry (replacing one of the same key) as the newest, then evicts the least recently
  // put ones until both limits hold. False when it is not kept (bigger than the byte limit, or
  // saving disabled); a replaced entry is gone either way.
  bool put(std::string key, std::vector<int32_t> tokens, std::vector<uint8_t> state);
  // Removes and returns the entry of `key`, if any.
  std::optional<DocumentKvEntry> take(const std::string& key);
  void clear();
  DocumentKvStats stats() const;

 private:
  void remove(size_t index);

  DocumentKvLimits limits_;
  std::vector<DocumentKvEntry> entries_;  // a handful: linear scans
  int64_t bytes_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace tandem
