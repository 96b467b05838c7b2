// Turns generated token pieces into the text handed to the caller: cuts at the first stop
// string (which is excluded), and releases only text that is final — whole UTF-8 characters
// that cannot turn out to be the start of a stop string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/decode/stop_matcher.h"

namespace tandem {

class TextStream {
 public:
  // `carried`: the unfinished UTF-8 character an interrupted earlier stream ended with.
  explicit TextStream(std::vector<std::string> stops, std::string carried = {});

  // Adds a token's bytes; returns the newly releasable text ("" when nothing is final yet).
  std::string append(std::string_view piece);
  // Generation ended without a stop string: everything held back is released, except an
  // unfinished UTF-8 character at the very end, which pending() returns (and text() excludes).
  std::string finish();
  const std::string& pending() const { return pending_; }

  bool stopped() const { return stopped_; }
  // The output: everything generated so far, cut before a stop string once one appeared.
  const std::string& text() const { return text_; }
  size_t released() const { return released_; }

 private:
  StopMatcher matcher_;
  std::string text_;
  size_t released_ = 0;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace tandem
