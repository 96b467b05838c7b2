// Finds stop strings in generated text and says how much of the text's tail must be withheld
// because it could still grow into a stop string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);  // empty strings are ignored

  // Byte offset of the earliest complete stop string occurrence at or after `from`, or npos.
  size_t findStop(std::string_view text, size_t from = 0) const;

  // Length of the longest tail of `text` that is a proper prefix of some stop string.
  size_t heldBackLength(std::string_view text) const;

  // Longest stop string in bytes (0 when there are none).
  size_t longest() const { return longest_; }
  bool empty() const { return stops_.empty(); }

 private:
  std::vector<std::string> stops_;
  size_t longest_ = 0;
};

}  // namespace tandem
