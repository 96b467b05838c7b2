// How much of the KV cache a new prompt can keep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem {

size_t commonPrefixLength(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

// Tokens of `prompt` whose cached KV can be kept: the common prefix with `cached`, but never the
// whole prompt — the last prompt token is always evaluated again, because its logits (which pick
// the first generated token) are not kept between requests.
size_t reusablePrefixLength(const std::vector<int32_t>& cached, const std::vector<int32_t>& prompt);

}  // namespace tandem
