// Trie builder (SamDrafter), budget choosers, calibration (hindsight included), FIM alignment,
// llama.cpp's n-gram drafters behind the Drafter interface, corpus caps.
#include "engine/speculation/calibration.h"
#include "engine/speculation/cost_curve.h"
#include "engine/speculation/cost_model.h"
#include "engine/speculation/draft_corpus.h"
#include "engine/speculation/ngram_drafters.h"
#include "engine/speculation/sam_drafter.h"
#include "engine/speculation/speculative_strategy.h"
#include "test_runner.h"

using namespace tandem;

namespace {
DraftTree chain(std::vector<float> probs) {
  DraftTree t;
  for (size_t i = 0; i < probs.size(); ++i)
    t.nodes.push_back(DraftNode{static_cast<llama_token>(i), static_cast<int32_t>(i) - 1, probs[i], DraftSource::Prompt});
  return t;
}
}  // namespace

TEST("budget: nothing is drafted when no prefix beats plain decoding on a steep CPU curve") {
  CostCurve cpu({{1, 33}, {2, 56}, {4, 82}, {8, 154}});
  CHECK_EQ(chooseDraftBudget(chain({0.5f, 0.3f}), cpu, 64, 14, 1.0).nodes, 0);
  CHECK_EQ(chooseDraftBudget(DraftTree{}, cpu, 64, 14, 1.0).nodes, 0);
}

TEST("budget: sure drafts are verified on the CPU, whole trees on a flat GPU curve") {
  CostCurve cpu({{1, 33}, {2, 56}, {4, 82}, {8, 154}});
  CostCurve flat({{1, 10}, {128, 11}});
  const DraftTree sure = chain({0.95f, 0.93f, 0.9f, 0.88f, 0.85f, 0.8f, 0.7f, 0.3f, 0.1f});
  const auto c = chooseDraftBudget(sure, cpu, 64, 14, 1.0);
  CHECK(c.nodes >= 3 && c.nodes <= 8);
  CHECK(c.gain > 1.0);
  CHECK_EQ(chooseDraftBudget(sure, flat, 64, 14, 1.0).nodes, 9);
  CHECK_EQ(chooseDraftBudget(sure, flat, 4, 14, 1.0).nodes, 4);  // capped by room
}

TEST("budget: a decoder that already does better than plain decoding drafts less") {
  CostCurve cpu({{1, 33}, {2, 56}, {4, 82}, {8, 154}});
  const DraftTree sure = chain({0.95f, 0.93f, 0.9f, 0.88f, 0.85f, 0.8f, 0.7f, 0.3f, 0.1f});
  const int32_t plain = chooseDraftBudget(sure, cpu, 64, 14, 1.0).nodes;
  const int32_t fast = chooseDraftBudget(sure, cpu, 64, 14, 1.8).nodes;
  CHECK(fast < plain);
  CHECK(fast > 0);
  CHECK_EQ(chooseDraftBudget(sure, cpu, 64, 14, 100.0).nodes, 0);
}

TEST("budget: leaf cap bounds the number of sequences") {
  DraftTree wide;
  for (int i = 0; i < 20; ++i) wide.nodes.push_back(DraftNode{i, -1, 0.5f, DraftSource::Prompt});
  CostCurve flat({{1, 10}, {128, 11}});
  CHECK_EQ(chooseDraftBudget(wide, flat, 64, 14, 1.0).nodes, 14);
  CHECK_EQ(leavesOfPrefix(wide, 20), 20);
  CHECK_EQ(leavesOfPrefix(chain({1, 1, 1}), 3), 1);
}

TEST("cost curve: interpolates and extrapolates") {
  CostCurve c({{1, 10}, {4, 40}});
  CHECK_EQ(c.at(2), 20.0);
  CHECK_EQ(c.at(8), 80.0);
  CHECK_EQ(c.relative(4), 4.0);
}

TEST("cost curve from timed runs: medians; a real dip (a kernel step) is kept, a noisy one is not") {
  // T(4) below every run of T(3): ggml's 4-column CPU matmul, kept so 3-node drafts look cheap
  CostCurve real = curveFromRuns({{1, {28, 29, 32}}, {2, {46, 47, 49}}, {3, {65, 67, 72}}, {4, {59, 60, 61}}, {8, {112, 113, 114}}});
  CHECK_EQ(real.at(3), 67.0);
  CHECK_EQ(real.at(4), 60.0);
  // a first token that is sure and two likely ones: worth a batch of 4, not of 3
  CHECK_EQ(chooseDraftBudget(chain({1, 0.35f, 0.25f}), real, 64, 14, 1.0).nodes, 3);
  CHECK_EQ(chooseDraftBudget(chain({1, 0.35f, 0.25f}), CostCurve({{1, 29}, {2, 47}, {3, 67}, {4, 67}}), 64, 14, 1.0).nodes, 1);
  // a median dip inside the smaller batch's spread is noise: raised to the smaller batch's point
  CostCurve noisy = curveFromRuns({{1, {28, 29, 32}}, {2, {46, 47, 60}}, {3, {44, 46.5, 52}}});
  CHECK_EQ(noisy.at(2), 47.0);
  CHECK_EQ(noisy.at(3), 47.0);
  CHECK(curveFromRuns({{1, {}}}).empty());
}

TEST("calibration: accepted evidence raises a cell, rejections lower it, depth pools share") {
  AcceptanceCalibration cal;
  CalibrationKey k{DraftSource::OtherFile, 6, 1, 0};
  const float before = cal.rate(k);
  for (int i = 0; i < 30; ++i) cal.record(k, true);
  CHECK(cal.rate(k) > before + 0.2f);
  CalibrationKey deeper{DraftSource::OtherFile, 6, 4, 0};
  CHECK(cal.rate(deeper) > AcceptanceCalibration::prior(deeper));  // borrowed from the pool
  CalibrationKey bad{DraftSource::History, 6, 1, 0};
  for (int i = 0; i < 30; ++i) cal.record(bad, false);
  CHECK(cal.rate(bad) < 0.1f);
}

TEST("sam drafter: tree is parents-first, best-first and proposes the corpus continuation") {
  DraftCorpus corpus;
  std::vector<llama_token> doc{1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 9, 9};
  corpus.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::nullopt, doc}}, nullptr);
  SamDrafter d(SamDrafterOptions{});
  std::vector<llama_token> prompt{8, 1, 2, 3};
  d.begin(corpus, prompt);
  DraftTree t = d.draft(prompt, 32);
  CHECK(!t.empty());
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    CHECK(t.nodes[i].parent < static_cast<int32_t>(i));
    if (t.nodes[i].parent >= 0) CHECK(t.nodes[i].pathProb <= t.nodes[t.nodes[i].parent].pathProb + 1e-6f);
  }
  // both continuations of "1 2 3" are root children: 4 and 9
  bool has4 = false, has9 = false;
  for (const auto& n : t.nodes)
    if (n.parent == -1) {
      has4 |= n.token == 4;
      has9 |= n.token == 9;
    }
  CHECK(has4 && has9);
  // the linear baseline follows one continuation
  SamDrafterOptions lin;
  lin.tree = false;
  SamDrafter s(lin);
  s.begin(corpus, prompt);
  DraftTree l = s.draft(prompt, 32);
  for (size_t i = 0; i < l.nodes.size(); ++i) CHECK_EQ(l.nodes[i].parent, static_cast<int32_t>(i) - 1);
}

TEST("sam drafter: repeats inside the generated text are drafted (online request index)") {
  DraftCorpus corpus;
  SamDrafter d(SamDrafterOptions{});
  std::vector<llama_token> seq{5, 6, 7, 8};
  d.begin(corpus, seq);
  for (llama_token t : {10, 11, 12, 13, 5, 6}) seq.push_back(t);
  DraftTree t = d.draft(seq, 8);
  CHECK(!t.empty());
  CHECK_EQ(t.nodes[0].token, 7);
}

TEST("limitDepth keeps parents-first order and renumbers") {
  DraftTree t = chain({0.9f, 0.8f, 0.7f});
  t.nodes.push_back(DraftNode{42, -1, 0.5f, DraftSource::Prompt});
  DraftTree d = limitDepth(t, 1);
  CHECK_EQ(d.nodes.size(), size_t{2});
  CHECK_EQ(d.nodes[1].token, 42);
  CHECK_EQ(d.nodes[1].parent, -1);
}

TEST("corpus: caps truncate and report; unlisted documents are dropped; missing reported") {
  CorpusLimits lim;
  lim.maxDocumentTokens = 10;
  lim.maxTotalTokens = 15;
  DraftCorpus c(lim);
  auto tok = [](std::string_view s) { return std::vector<llama_token>(s.size(), 1); };
  auto u = c.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::string(20, 'x'), std::nullopt},
                     DocumentInput{"b", 1, DraftSource::OtherFile, std::string(8, 'x'), std::nullopt}},
                    tok);
  CHECK_EQ(c.tokenCount(), size_t{15});
  CHECK(u.truncatedDocuments == 2);
  const uint64_t g = c.generation();
  u = c.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::nullopt, std::nullopt},
                DocumentInput{"z", 2, DraftSource::OtherFile, std::nullopt, std::nullopt}},
               tok);
  CHECK_EQ(c.documentCount(), size_t{1});
  CHECK_EQ(u.missing.size(), size_t{1});
  CHECK(c.generation() != g);
}

TEST("budget (Dinkelbach): a sure long draft is verified further than each step's own best rate would go") {
  CostCurve cpu({{1, 33}, {2, 56}, {4, 82}, {8, 154}, {16, 262}, {64, 751}});
  std::vector<float> paths{0.95f};  // each token 95 % likely once its parent was accepted
  while (paths.size() < 40) paths.push_back(paths.back() * 0.95f);
  const DraftTree sure = chain(paths);
  // Maximising each step's own rate (1 + E[accepted]) / T(k+1) would stop at ~4 nodes (1.49
  // tokens per T(1)); the long-run rate goes on while a token costs less than it brings.
  const auto longRun = chooseDraftBudget(sure, cpu, 64, 14, 1.0);
  CHECK(longRun.nodes > 16);
  CHECK(longRun.gain > 1.0);
  // A decoder already achieving 2 tokens per T(1) does not spend time on a coin flip.
  CHECK_EQ(chooseDraftBudget(chain({0.6f, 0.4f}), cpu, 64, 14, 2.0).nodes, 0);
  CHECK_EQ(chooseDraftBudget(DraftTree{}, cpu, 64, 14, 1.0).nodes, 0);
  CostCurve flat({{1, 10}, {128, 11}});
  CHECK_EQ(chooseDraftBudget(sure, flat, 64, 14, 1.5).nodes, 40);
  CHECK_EQ(chooseDraftBudget(sure, flat, 5, 14, 1.5).nodes, 5);  // capped by room
}

TEST("sam drafter: calibration learns in hindsight from nodes that were never verified") {
  DraftCorpus corpus;
  std::vector<llama_token> doc;
  for (int i = 0; i < 200; ++i) doc.push_back(100 + i);
  corpus.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::nullopt, doc}}, nullptr);
  SamDrafter d(SamDrafterOptions{});
  std::vector<llama_token> seq{7, 100, 101, 102};
  d.begin(corpus, seq);
  auto deepProb = [](const DraftTree& t) { return t.nodes.size() > 12 ? t.nodes[12].pathProb : 0.f; };
  const float first = deepProb(d.draft(seq, 32));
  // The output keeps following the document; no draft is ever verified (no feedback).
  for (int i = 0; i < 60; ++i) {
    seq.push_back(seq.back() + 1);
    d.draft(seq, 32);
  }
  seq.push_back(seq.back() + 1);
  CHECK(deepProb(d.draft(seq, 32)) > first + 0.1f);
}

TEST("sam drafter: with a FIM prompt the output continues the text before the cursor") {
  const llama_token pre = 900, suf = 901, mid = 902;
  DraftCorpus corpus;
  corpus.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::nullopt, std::vector<llama_token>{1, 2, 3, 4, 5, 6}}}, nullptr);
  const std::vector<llama_token> prompt{pre, 40, 2, 3, suf, 50, 51, mid};
  SamDrafter plain(SamDrafterOptions{});
  plain.begin(corpus, prompt);
  const DraftTree without = plain.draft(prompt, 8);
  CHECK(without.empty() || without.nodes[0].token != 4);
  corpus.setPromptLayout(PromptLayout{suf, mid});
  SamDrafter aligned(SamDrafterOptions{});
  aligned.begin(corpus, prompt);
  const DraftTree with = aligned.draft(prompt, 8);
  CHECK(!with.empty());
  CHECK_EQ(with.nodes[0].token, 4);  // "2 3" before the cursor, "4 5 6" after it in the document
  std::vector<llama_token> seq = prompt;
  for (llama_token t : {4, 5}) seq.push_back(t);
  const DraftTree next = aligned.draft(seq, 8);
  CHECK(!next.empty());
  CHECK_EQ(next.nodes[0].token, 6);
}

TEST("sam drafter: with an anchored FIM prompt the output continues the text before the anchor and the written middle") {
  const llama_token pre = 900, suf = 901, mid = 902;
  DraftCorpus corpus;
  corpus.update({DocumentInput{"a", 1, DraftSource::OtherFile, std::nullopt, std::vector<llama_token>{1, 2, 3, 4, 5, 6}}}, nullptr);
  corpus.setPromptLayout(PromptLayout{suf, mid});
  const std::vector<llama_token> prompt{pre, 40, 2, suf, 50, 51, mid, 3};  // "2" before the anchor, "3" typed since
  SamDrafter aligned(SamDrafterOptions{});
  aligned.begin(corpus, prompt);
  const DraftTree with = aligned.draft(prompt, 8);
  CHECK(!with.empty());
  if (!with.empty()) CHECK_EQ(with.nodes[0].token, 4);
}

TEST("FIM parts: the last <middle> and the <suffix> before it; none in plain or SPM prompts") {
  const PromptLayout layout{901, 902};
  FimParts p = locateFimParts({900, 1, 901, 2, 902}, layout);
  CHECK(p.found);
  CHECK_EQ(p.suffix, size_t(2));
  CHECK_EQ(p.middle, size_t(4));
  p = locateFimParts({900, 1, 901, 2, 902, 3, 4}, layout);  // anchored: middle already written
  CHECK(p.found && p.middle == 4);
  CHECK(!locateFimParts({1, 2, 3}, layout).found);
  CHECK(!locateFimParts({902, 1, 901, 2}, layout).found);  // no <suffix> before the <middle>
  CHECK(!locateFimParts({901, 2, 902}, PromptLayout{}).found);
}

TEST("llama.cpp n-gram drafters: each drafts the continuation of a repeated n-gram, linearly") {
  std::vector<llama_token> prompt{90, 91};  // llama.cpp's searches never match at position 0
  for (int round = 0; round < 2; ++round)
    for (llama_token t = 1; t <= 12; ++t) prompt.push_back(t);
  prompt.resize(2 + 12 + 4);  // ... 1 2 3 4: what followed before is 5 6 7 8 ...
  DraftCorpus corpus;
  for (SpeculationMode mode :
       {SpeculationMode::NgramSimple, SpeculationMode::NgramMapK, SpeculationMode::NgramMod, SpeculationMode::NgramCache}) {
    auto d = makeNgramDrafter(mode);
    d->begin(corpus, prompt);
    const DraftTree t = d->draft(prompt, 64);
    CHECK(!t.empty());
    if (t.empty()) continue;
    CHECK_EQ(t.nodes[0].token, 5);
    CHECK(t.nodes.size() <= 8);
    for (size_t i = 0; i < t.nodes.size(); ++i) CHECK_EQ(t.nodes[i].parent, static_cast<int32_t>(i) - 1);
    d->feedback(t, VerifyOutcome{{0, 1}, {}, {5, 6, 7}});
    const DraftTree capped = d->draft(prompt, 2);
    CHECK(capped.nodes.size() <= 2);
  }
  bool threw = false;
  try {
    makeNgramDrafter(SpeculationMode::Sam);
  } catch (const std::exception&) {
    threw = true;
  }
  CHECK(threw);
}
