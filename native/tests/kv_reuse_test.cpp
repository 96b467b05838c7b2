#include "engine/decode/kv_reuse.h"
#include "test_runner.h"

using namespace tandem;

TEST("kv reuse: common prefix length") {
  CHECK_EQ(commonPrefixLength({1, 2, 3}, {1, 2, 4}), size_t(2));
  CHECK_EQ(commonPrefixLength({}, {1}), size_t(0));
  CHECK_EQ(commonPrefixLength({1, 2}, {1, 2, 3}), size_t(2));
}

TEST("kv reuse: the last prompt token is always re-evaluated") {
  CHECK_EQ(reusablePrefixLength({1, 2, 3}, {1, 2, 3}), size_t(2));
  CHECK_EQ(reusablePrefixLength({1, 2, 3, 4, 5}, {1, 2, 3}), size_t(2));
  CHECK_EQ(reusablePrefixLength({1, 2}, {1, 2, 3, 4}), size_t(2));
  CHECK_EQ(reusablePrefixLength({9}, {1, 2}), size_t(0));
  CHECK_EQ(reusablePrefixLength({1}, {}), size_t(0));
}
