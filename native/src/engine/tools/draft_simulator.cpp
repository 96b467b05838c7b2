#include "engine/tools/draft_simulator.h"

#include <chrono>

#include "engine/decode/inference_context.h"
#include "engine/session/session.h"
#include "engine/speculation/speculative_strategy.h"

namespace tandem {
namespace {
double usSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

std::vector<SimModeResult> simulateDrafting(const std::vector<SimTrace>& traces, const std::vector<SpeculationMode>& modes,
                                            const CostCurve& cost, const PromptLayout& layout) {
  std::vector<SimModeResult> results;
  for (SpeculationMode mode : modes) {
    SimModeResult r;
    r.mode = speculationModeName(mode);
    std::unique_ptr<Drafter> drafter = makeDrafter(mode);
    DraftCorpus corpus;
    corpus.setPromptLayout(layout);
    for (const SimTrace& trace : traces) {
      SimTotals t;
      corpus.update(trace.documents, [](std::string_view) { return std::vector<llama_token>{}; });
      auto b = std::chrono::steady_clock::now();
      if (drafter) drafter->begin(corpus, trace.prompt);
      t.beginUs += usSince(b);
      std::vector<llama_token> seq = trace.prompt;
      const auto& ref = trace.reference;
      size_t pos = 0;
      while (pos < ref.size()) {
        const int32_t remaining = static_cast<int32_t>(ref.size() - pos);
        int32_t k = 0;
        DraftTree tree;
        if (drafter && remaining > 1) {
          const auto d = std::chrono::steady_clock::now();
          tree = limitDepth(drafter->draft(seq, kMaxTreeNodes), remaining - 1);
          if (drafter->costAware())
            k = chooseDraftBudget(tree, cost, kMaxTreeNodes, kMaxTreeLeaves, drafter->throughput()).nodes;
          else {
            k = static_cast<int32_t>(tree.nodes.size());
            while (k > 0 && leavesOfPrefix(tree, k) > kMaxTreeLeaves) --k;
          }
          t.drafterUs += usSince(d);
        }
        // Verify against the reference: walk the first k nodes.
        VerifyOutcome outcome;
        int32_t cur = -1;
        for (;;) {
          const size_t at = pos + outcome.acceptedPath.size();
          if (at >= ref.size()) break;
          int32_t found = -1;
          for (int32_t i = cur + 1; i < k; ++i)
            if (tree.nodes[i].parent == cur && tree.nodes[i].token == ref[at]) {
              found = i;
              break;
            }
          if (found < 0) break;
          outcome.acceptedPath.push_back(found);
          cur = found;
        }
        const size_t acc = outcome.acceptedPath.size();
        const size_t commit = std::min(acc + 1, ref.size() - pos);
        for (size_t i = 0; i < commit; ++i) outcome.committed.push_back(ref[pos + i]);
        // Predictions are known only along the reference path; extension sees none (-1).
        if (drafter && !tree.empty()) drafter->feedback(prefixOf(tree, k), outcome);
        if (drafter) drafter->stepDone(static_cast<int32_t>(commit), cost.relative(k + 1));
        seq.insert(seq.end(), outcome.committed.begin(), outcome.committed.end());
        pos += commit;
        ++t.steps;
        t.tokens += static_cast<int64_t>(commit);
        t.drafted += k;
        t.accepted += static_cast<int64_t>(acc);
        if (k > 0) ++t.draftSteps;
        if (acc > 0) ++t.hitSteps;
        t.cost += cost.relative(k + 1);
        ++t.budgets[k + 1];
      }
      corpus.addHistory(ref);
      for (const std::string& kind : {trace.kind, std::string("all")}) {
        SimTotals& s = r.byKind[kind];
        s.steps += t.steps;
        s.tokens += t.tokens;
        s.drafted += t.drafted;
        s.accepted += t.accepted;
        s.draftSteps += t.draftSteps;
        s.hitSteps += t.hitSteps;
        s.cost += t.cost;
        s.drafterUs += t.drafterUs;
        s.beginUs += t.beginUs;
        for (auto [k, n] : t.budgets) s.budgets[k] += n;
      }
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tandem
