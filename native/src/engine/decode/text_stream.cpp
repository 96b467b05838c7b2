#include "engine/decode/text_stream.h"

#include <algorithm>

#include "engine/runtime/utf8.h"

namespace tandem {

TextStream::TextStream(std::vector<std::string> stops, std::string carried) : matcher_(std::move(stops)), text_(std::move(carried)) {}

std::string TextStream::append(std::string_view piece) {
  if (stopped_) return {};
  const size_t before = text_.size();
  text_.append(piece);
  // A stop string that completes now starts at most longest()-1 bytes before the new piece.
  const size_t from = before >= matcher_.longest() ? before - matcher_.longest() + 1 : 0;
  const size_t stopAt = matcher_.empty() ? std::string::npos : matcher_.findStop(text_, std::max(from, released_));
  if (stopAt != std::string::npos) {
    stopped_ = true;
    text_.resize(stopAt);
    std::string out = text_.substr(released_);
    released_ = text_.size();
    return out;
  }
  size_t safeEnd = text_.size() - matcher_.heldBackLength(text_);
  safeEnd = completeUtf8Prefix(std::string_view(text_).substr(0, safeEnd));
  if (safeEnd <= released_) return {};
  std::string out = text_.substr(released_, safeEnd - released_);
  released_ = safeEnd;
  return out;
}

std::string TextStream::finish() {
  const size_t complete = std::max(released_, completeUtf8Prefix(text_));
  pending_ = text_.substr(complete);
  text_.resize(complete);
  std::string out = text_.substr(released_);
  released_ = text_.size();
  return out;
}

}  // namespace tandem
