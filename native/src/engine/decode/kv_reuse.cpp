#include "engine/decode/kv_reuse.h"

#include <algorithm>

namespace tandem {

size_t commonPrefixLength(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

size_t reusablePrefixLength(const std::vector<int32_t>& cached, const std::vector<int32_t>& prompt) {
  const size_t common = commonPrefixLength(cached, prompt);
  return prompt.empty() ? 0 : std::min(common, prompt.size() - 1);
}

}  // namespace tandem
