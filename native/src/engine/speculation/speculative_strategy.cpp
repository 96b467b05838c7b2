#include "engine/speculation/speculative_strategy.h"

#include <algorithm>

#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"

namespace tandem {
DraftTree limitDepth(const DraftTree& tree, int32_t maxDepth) {
  DraftTree out;
  std::vector<int32_t> newIndex(tree.nodes.size(), -1), depth(tree.nodes.size(), 0);
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    const int32_t p = tree.nodes[i].parent;
    if (p >= 0 && newIndex[p] < 0) continue;  // parent dropped
    depth[i] = p >= 0 ? depth[p] + 1 : 1;
    if (depth[i] > maxDepth) continue;
    DraftNode n = tree.nodes[i];
    n.parent = p >= 0 ? newIndex[p] : -1;
    newIndex[i] = static_cast<int32_t>(out.nodes.size());
    out.nodes.push_back(n);
  }
  return out;
}

DraftTree prefixOf(const DraftTree& tree, int32_t k) {
  DraftTree out;
  out.nodes.assign(tree.nodes.begin(), tree.nodes.begin() + std::min<size_t>(static_cast<size_t>(std::max(0, k)), tree.nodes.size()));
  return out;
}

BudgetChoice chooseDraftBudget(const DraftTree& tree, const CostCurve& cost, int32_t maxNodes, int32_t maxLeaves, double throughput) {
  BudgetChoice best;
  const double t1 = cost.at(1);
  const double lambda = std::max(1.0, throughput);
  double bestValue = 1.0 - lambda;  // k = 0: one token for one T(1)
  const int32_t n = std::min<int32_t>(static_cast<int32_t>(tree.nodes.size()), std::max(0, maxNodes));
  std::vector<uint8_t> hasChild(static_cast<size_t>(n), 0);
  int32_t leaves = 0;
  double expected = 0;
  for (int32_t k = 1; k <= n; ++k) {
    const DraftNode& node = tree.nodes[k - 1];
    if (node.parent >= 0 && !hasChild[node.parent])
      hasChild[node.parent] = 1;
    else if (++leaves > maxLeaves)
      break;
    expected += node.pathProb;
    const double relative = cost.at(k + 1) / t1;
    const double value = 1.0 + expected - lambda * relative;
    if (value > bestValue) {
      bestValue = value;
      best = BudgetChoice{k, expected, (1.0 + expected) / relative};
    }
  }
  return best;
}

StepResult SpeculativeStrategy::step(InferenceContext& context, const std::vector<llama_token>& sequence, int32_t remaining) {
  const size_t evaluated = context.evaluated().size();
  const size_t pending = sequence.size() - evaluated;
  const int32_t vocab = context.model().vocabSize();
  // Right after prefill the root's logits are current; read them before anything else decodes.
  llama_token rootPrediction = -1;
  TokenChoices rootChoices;
  if (pending == 0) {
    const float* logits = context.lastLogits();
    if (!logits) throw EngineError(ErrorCode::Internal, "no logits available for the next token");
    rootPrediction = argmaxToken(logits, vocab);
    if (recordChoices_) rootChoices = topChoices(logits, vocab);
  }

  // Room: the verification batch, the context, and the tokens the request may still commit
  // (accepted + 1 ≤ remaining).
  const int32_t room = std::max<int32_t>(0, std::min<int32_t>({kMaxTreeNodes, context.batchSize() - static_cast<int32_t>(pending),
                                                               context.contextSize() - static_cast<int32_t>(sequence.size())}));
  const auto draftStart = Clock::now();
  DraftTree tree = remaining > 1 && room > 0 ? drafter_.draft(sequence, room) : DraftTree{};
  if (!tree.empty()) tree = limitDepth(tree, remaining - 1);
  int32_t k;
  if (drafter_.costAware() && cost_) {
    k = chooseDraftBudget(tree, *cost_, room, kMaxTreeLeaves, drafter_.throughput()).nodes;
  } else {
    k = std::min<int32_t>(static_cast<int32_t>(tree.nodes.size()), room);
    while (k > 0 && leavesOfPrefix(tree, k) > kMaxTreeLeaves) --k;
  }
  stats_.draftMs += msSince(draftStart);
  ++stats_.steps;
  ++stats_.budgets[k + 1];

  if (k == 0) {
    // Plain decoding is the better bet this step.
    const auto verifyStart = Clock::now();
    StepResult out;
    if (pending > 0) {
      if (context.append(sequence.data() + evaluated, pending) == DecodeStatus::Aborted) return StepResult{{}, true, {}};
      out.tokens.push_back(argmaxToken(context.lastLogits(), vocab));
    } else {
      out.tokens.push_back(rootPrediction);
    }
    stats_.verifyMs += msSince(verifyStart);
    if (recordChoices_) out.choices.push_back(pending > 0 ? topChoices(context.lastLogits(), vocab) : rootChoices);
    stats_.countAccepted(0);
    if (!tree.empty()) drafter_.feedback(DraftTree{}, VerifyOutcome{{}, {out.tokens[0]}, out.tokens});
    drafter_.stepDone(1, 1.0);
    return out;
  }

  const TreeVerification v = context.verifyTree(sequence.data() + evaluated, pending, tree, k, rootPrediction);
  stats_.verifyMs += v.decodeMs;
  stats_.sampleMs += v.sampleMs;
  if (v.status == DecodeStatus::Aborted) return StepResult{{}, true, {}};
  StepResult out;
  for (int32_t i : v.acceptedPath) out.tokens.push_back(tree.nodes[i].token);
  out.tokens.push_back(v.next);
  if (recordChoices_) {
    // Each committed token was the argmax of the row before it in the verification batch: the
    // root's (the last pending token, or the row read above), then each accepted node's.
    auto row = [&](int32_t batchIndex) { return topChoices(llama_get_logits_ith(context.raw(), batchIndex), vocab); };
    out.choices.push_back(pending > 0 ? row(static_cast<int32_t>(pending) - 1) : rootChoices);
    for (int32_t i : v.acceptedPath) out.choices.push_back(row(static_cast<int32_t>(pending) + i));
  }
  const int32_t accepted = static_cast<int32_t>(v.acceptedPath.size());
  stats_.draftedTokens += k;
  stats_.acceptedTokens += accepted;
  stats_.treeNodesTotal += k;
  ++stats_.draftSteps;
  stats_.countAccepted(accepted);
  drafter_.feedback(prefixOf(tree, k), VerifyOutcome{v.acceptedPath, v.predicted, out.tokens});
  drafter_.stepDone(static_cast<int32_t>(out.tokens.size()), cost_ ? cost_->relative(k + 1) : static_cast<double>(k + 1));
  return out;
}

}  // namespace tandem
