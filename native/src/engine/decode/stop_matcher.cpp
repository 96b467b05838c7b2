#include "engine/decode/stop_matcher.h"

#include <algorithm>

namespace tandem {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (s.empty()) continue;
    longest_ = std::max(longest_, s.size());
    stops_.push_back(std::move(s));
  }
}

size_t StopMatcher::findStop(std::string_view text, size_t from) const {
  size_t best = std::string_view::npos;
  for (const auto& stop : stops_) {
    const size_t at = text.find(stop, from);
    if (at < best) best = at;
  }
  return best;
}

size_t StopMatcher::heldBackLength(std::string_view text) const {
  size_t held = 0;
  for (const auto& stop : stops_) {
    const size_t maxLen = std::min(stop.size() - 1, text.size());
    for (size_t len = maxLen; len > held; --len) {
      if (text.compare(text.size() - len, len, stop, 0, len) == 0) {
        held = len;
        break;
      }
    }
  }
  return held;
}

}  // namespace tandem
