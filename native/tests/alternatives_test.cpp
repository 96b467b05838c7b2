#include <vector>

#include "engine/decode/alternatives.h"
#include "engine/decode/completion.h"
#include "engine/decode/token_choices.h"
#include "test_runner.h"

using namespace tandem;

namespace {
TokenChoices choices(llama_token a, float la, llama_token b, float lb, llama_token c, float lc) {
  TokenChoices t;
  t.tokens = {a, b, c};
  t.logits = {la, lb, lc};
  return t;
}
}  // namespace

TEST("token choices: the best three, best first, greedy token first") {
  const std::vector<float> row{0.5f, 3.0f, -1.0f, 2.0f, 2.5f, 0.0f};
  const TokenChoices t = topChoices(row.data(), static_cast<int32_t>(row.size()));
  CHECK_EQ(t.tokens[0], 1);
  CHECK_EQ(t.tokens[1], 4);
  CHECK_EQ(t.tokens[2], 3);
  CHECK_EQ(t.logits[0], 3.0f);
  CHECK_EQ(t.logits[2], 2.0f);
  CHECK_EQ(t.tokens[0], argmaxToken(row.data(), static_cast<int32_t>(row.size())));
}

TEST("token choices: ties go to the lower id, as argmax's do") {
  const std::vector<float> row{1.0f, 2.0f, 2.0f, 0.0f, 2.0f, 2.0f};
  const TokenChoices t = topChoices(row.data(), static_cast<int32_t>(row.size()));
  CHECK_EQ(t.tokens[0], argmaxToken(row.data(), static_cast<int32_t>(row.size())));
  CHECK_EQ(t.tokens[0], 1);
  CHECK_EQ(t.tokens[1], 2);
  CHECK_EQ(t.tokens[2], 4);
}

TEST("token choices: a vocabulary smaller than three leaves -1") {
  const std::vector<float> row{0.0f, 1.0f};
  const TokenChoices t = topChoices(row.data(), 2);
  CHECK_EQ(t.tokens[0], 1);
  CHECK_EQ(t.tokens[1], 0);
  CHECK_EQ(t.tokens[2], -1);
}

TEST("alternatives: branches ranked by how close the sibling came to the greedy token") {
  // position 0: sure (sibling 5 below); position 1: a near tie; position 2: in between
  const std::vector<TokenChoices> recorded{choices(10, 9.0f, 11, 4.0f, 12, 3.0f), choices(20, 5.0f, 21, 4.9f, 22, 1.0f),
                                           choices(30, 6.0f, 31, 4.0f, 32, 3.5f)};
  const std::vector<Branch> b = rankBranches(recorded, {10, 20, 30});
  CHECK_EQ(b.size(), size_t(6));
  CHECK_EQ(b[0].position, size_t(1));
  CHECK_EQ(b[0].token, 21);
  CHECK_EQ(b[1].position, size_t(2));
  CHECK_EQ(b[1].token, 31);
  CHECK_EQ(b[2].position, size_t(2));
  CHECK_EQ(b[2].token, 32);
  CHECK_EQ(b[3].position, size_t(1));
  CHECK_EQ(b[3].token, 22);
  CHECK_EQ(b[5].position, size_t(0));
  CHECK_EQ(b[5].token, 12);
  CHECK(b[0].score > -0.11f && b[0].score < 0.0f);
}

TEST("alternatives: equal scores keep the earlier position first; unrecorded positions offer nothing") {
  const std::vector<TokenChoices> recorded{choices(1, 2.0f, 2, 1.0f, -1, 0.0f), TokenChoices{}, choices(3, 2.0f, 4, 1.0f, 5, 1.0f),
                                           choices(6, 1.0f, 7, 0.5f, 8, 0.0f)};
  // position 3 generated 9, not the recorded greedy token 6: its choices do not belong to it
  const std::vector<Branch> b = rankBranches(recorded, {1, 0, 3, 9});
  CHECK_EQ(b.size(), size_t(3));
  CHECK_EQ(b[0].position, size_t(0));
  CHECK_EQ(b[0].token, 2);
  CHECK_EQ(b[1].position, size_t(2));
  CHECK_EQ(b[1].token, 4);
  CHECK_EQ(b[2].position, size_t(2));
  CHECK_EQ(b[2].token, 5);
}

TEST("alternatives: what is shown is the text without surrounding whitespace") {
  CHECK_EQ(std::string(shownText("  return a;\n")), std::string("return a;"));
  CHECK_EQ(std::string(shownText("a \n b")), std::string("a \n b"));
  CHECK_EQ(std::string(shownText(" \n\t")), std::string());
  CHECK_EQ(std::string(shownText("")), std::string());
}

TEST("alternatives: admitted only when they show something, and something not shown yet") {
  ShownTexts shown("  return a + b;\n");
  CHECK(!shown.admit("return a + b;"));  // the greedy text, whitespace aside
  CHECK(!shown.admit(""));
  CHECK(!shown.admit(" \n\t"));
  CHECK(shown.admit("return a - b;"));
  CHECK(!shown.admit("\treturn a - b;  "));  // the first alternative again
  CHECK(shown.admit("return b + a;"));
  CHECK(shown.admit("return a + b; // sum"));
}
