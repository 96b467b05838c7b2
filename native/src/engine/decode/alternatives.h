// Completion alternatives (the editor cycles through them with Alt+] / Alt+[): after the greedy
// completion is complete, up to kMaxAlternatives other completions that branch off it where the
// model weighed another token most — the greedy prefix up to a generated position, the 2nd or 3rd
// best token there instead of the greedy one, then greedy decoding again under the request's stop
// strings, maxTokens and time budget. The top choices come for free while the greedy completion
// decodes (DecodeStrategy::recordChoices; with speculation, from the verification batch).
// A branch decodes on a side sequence that shares the KV cells of the prompt and the greedy
// prefix, so sequence 0 — what the next request reuses, the greedy continuation included — and
// InferenceContext::evaluated() are exactly what they would be without alternatives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/decode/completion.h"
#include "engine/decode/inference_context.h"
#include "engine/decode/token_choices.h"
#include "engine/runtime/cancel_flag.h"

namespace tandem {

constexpr int32_t kMaxAlternatives = 2;

// One way to branch off the greedy completion.
struct Branch {
  size_t position = 0;     // index into the generated tokens
  llama_token token = -1;  // the sibling decoded there instead of the greedy token
  // logit(sibling) − logit(greedy) = ln(p(sibling) / p(greedy)) ≤ 0: how much less likely the
  // branched completion is up to and including this token.
  float score = 0;
};

// Every sibling at every generated position, most likely first (ties: earlier position, then the
// better-ranked sibling). A position whose recorded choices do not start with the token that was
// generated there (no choices recorded) offers none.
std::vector<Branch> rankBranches(const std::vector<TokenChoices>& choices, const std::vector<llama_token>& generated);

// What the editor shows of a completion, for telling completions apart: the text without the
// whitespace around it.
std::string_view shownText(std::string_view text);

// The completions offered so far, by what they show (the greedy one first): a new one is admitted
// when it shows something, and something else.
class ShownTexts {
 public:
  explicit ShownTexts(std::string_view greedy) : shown_{std::string(shownText(greedy))} {}
  bool admit(std::string_view text);

 private:
  std::vector<std::string> shown_;
};

struct AlternativesOutcome {
  std::vector<std::string> texts;
  double ms = 0;
  int32_t tokens = 0;  // generated past the greedy prefixes, duplicates dropped included
};

// Decodes alternatives to `greedy` (complete, not cancelled) on `context` (the caller's thread
// owns it and watches `cancel`): branches are tried most likely first until `count` differ from
// the greedy text and from each other in what they show (an empty one is dropped), at most
// count + 2 tries. `choices` are the greedy tokens' (one per token), `prompt` the request's
// tokens, `maxTokens` its validated maxTokens. Cancelling stops at once and drops the branch being
// decoded; the time budget (counted from request.receivedAt, like the greedy one's) ends the
// branch being decoded as it ends a greedy completion, and tries no more.
AlternativesOutcome decodeAlternatives(InferenceContext& context, const CompletionRequest& request, int32_t count, int32_t maxTokens,
                                       const CancelFlag& cancel, const std::vector<llama_token>& prompt, const CompletionResult& greedy,
                                       const std::vector<TokenChoices>& choices);

}  // namespace tandem
