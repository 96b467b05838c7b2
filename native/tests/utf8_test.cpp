#include "engine/runtime/utf8.h"
#include "test_runner.h"

using namespace tandem;

TEST("utf8: valid text has no invalid byte") {
  CHECK(!findInvalidUtf8("plain ascii").has_value());
  CHECK(!findInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").has_value());
}

TEST("utf8: reports the offset of the first bad byte") {
  CHECK_EQ(*findInvalidUtf8("ab\xFFz"), size_t(2));
  CHECK_EQ(*findInvalidUtf8("ok\xC3"), size_t(2));            // truncated sequence
  CHECK_EQ(*findInvalidUtf8("x\xC0\xAF"), size_t(1));         // overlong
  CHECK_EQ(*findInvalidUtf8("\xED\xA0\x80"), size_t(0));      // encoded surrogate
  CHECK_EQ(*findInvalidUtf8("\xF4\x90\x80\x80"), size_t(0));  // above U+10FFFF
  CHECK_EQ(*findInvalidUtf8("\xE2\x28\xA1"), size_t(0));      // bad continuation
}

TEST("utf8: complete prefix holds back an unfinished character only") {
  CHECK_EQ(completeUtf8Prefix("abc"), size_t(3));
  CHECK_EQ(completeUtf8Prefix("ab\xE2\x82"), size_t(2));
  CHECK_EQ(completeUtf8Prefix("ab\xE2"), size_t(2));
  CHECK_EQ(completeUtf8Prefix("ab\xE2\x82\xAC"), size_t(5));
  CHECK_EQ(completeUtf8Prefix("\xF0\x9F\x98"), size_t(0));
  CHECK_EQ(completeUtf8Prefix("\xF0\x9F\x98\x80"), size_t(4));
  CHECK_EQ(completeUtf8Prefix(""), size_t(0));
}

TEST("utf8: malformed tails are not held back forever") {
  CHECK_EQ(completeUtf8Prefix("a\xFF"), size_t(2));
  CHECK_EQ(completeUtf8Prefix("a\x80"), size_t(2));      // stray continuation
  CHECK_EQ(completeUtf8Prefix("a\xE0\x80"), size_t(3));  // overlong start can never complete
}

TEST("utf16: lone surrogates are found, pairs are fine") {
  const char16_t pair[] = {u'a', 0xD83D, 0xDE00, u'b'};
  CHECK(!findLoneSurrogate(pair, 4).has_value());
  const char16_t lead[] = {u'a', 0xD83D, u'b'};
  CHECK_EQ(*findLoneSurrogate(lead, 3), size_t(1));
  const char16_t trail[] = {0xDE00, u'b'};
  CHECK_EQ(*findLoneSurrogate(trail, 2), size_t(0));
  const char16_t endLead[] = {u'x', 0xD800};
  CHECK_EQ(*findLoneSurrogate(endLead, 2), size_t(1));
}
