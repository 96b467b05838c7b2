#include "engine/decode/alternatives.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "engine/decode/kv_reuse.h"
#include "engine/decode/text_stream.h"
#include "engine/runtime/elapsed.h"
#include "engine/runtime/engine_error.h"
#include "engine/runtime/llama_runtime.h"

namespace tandem {

std::vector<Branch> rankBranches(const std::vector<TokenChoices>& choices, const std::vector<llama_token>& generated) {
  std::vector<Branch> branches;
  const size_t n = std::min(choices.size(), generated.size());
  for (size_t i = 0; i < n; ++i) {
    const TokenChoices& c = choices[i];
    if (c.tokens[0] < 0 || c.tokens[0] != generated[i]) continue;
    for (int32_t rank = 1; rank < kTokenChoices && c.tokens[rank] >= 0; ++rank) {
      const float score = c.logits[rank] - c.logits[0];
      if (std::isfinite(score)) branches.push_back(Branch{i, c.tokens[rank], score});
    }
  }
  std::stable_sort(branches.begin(), branches.end(), [](const Branch& a, const Branch& b) { return a.score > b.score; });
  return branches;
}

std::string_view shownText(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool ShownTexts::admit(std::string_view text) {
  const std::string_view visible = shownText(text);
  if (visible.empty() || std::find(shown_.begin(), shown_.end(), visible) != shown_.end()) return false;
  shown_.emplace_back(visible);
  return true;
}

namespace {

// The sequence a branch decodes on: sequence 0's first `shared` positions (kv_unified: the same
// cells, nothing copied), then the branch's own tokens; removed again however the branch ends.
// It borrows the cost-probe scratch sequence, which is in use only while T(k) is measured or KV is
// handed over — never while a completion decodes.
class BranchSequence {
 public:
  enum class Status { Ok, Aborted, NoRoom };

  BranchSequence(InferenceContext& context, size_t shared)
      : ctx_(context.raw()), memory_(llama_get_memory(ctx_)), batch_(context.batchSize(), 1), length_(shared) {
    llama_memory_seq_rm(memory_, kId, -1, -1);
    if (shared > 0) llama_memory_seq_cp(memory_, 0, kId, 0, static_cast<llama_pos>(shared));
  }
  ~BranchSequence() { llama_memory_seq_rm(memory_, kId, -1, -1); }
  BranchSequence(const BranchSequence&) = delete;
  BranchSequence& operator=(const BranchSequence&) = delete;

  size_t length() const { return length_; }

  // Evaluates `tokens` after the ones held; then logits() are the last one's. Aborted: the watched
  // cancel flag; NoRoom: the cache has no free cells for them.
  Status append(const llama_token* tokens, size_t count) {
    for (size_t done = 0; done < count;) {
      const size_t n = std::min(count - done, static_cast<size_t>(batch_.capacity()));
      batch_.clear();
      for (size_t i = 0; i < n; ++i) batch_.add(tokens[done + i], static_cast<llama_pos>(length_ + i), kId, done + i + 1 == count);
      ScopedLogCapture log;
      const int32_t rc = llama_decode(ctx_, batch_.get());
      if (rc == 1) return Status::NoRoom;
      if (rc == 2) return Status::Aborted;
      if (rc != 0) {
        const std::string reason = log.summary();
        throw EngineError(ErrorCode::Internal, "llama_decode failed on a completion alternative (" + std::to_string(rc) + ")" +
                                                   (reason.empty() ? "" : ": " + reason));
      }
      length_ += n;
      done += n;
    }
    return Status::Ok;
  }

  const float* logits() const { return llama_get_logits_ith(ctx_, -1); }

 private:
  static constexpr llama_seq_id kId = kScratchSequence;
  llama_context* ctx_;
  llama_memory_t memory_;
  LlamaBatch batch_;
  size_t length_;
};

bool outOfTime(const CompletionRequest& request) { return request.timeBudgetMs > 0 && msSince(request.receivedAt) >= request.timeBudgetMs; }

// One alternative: the text it ends with, or nullopt when it was cancelled. `decoded` counts the
// tokens generated past the greedy prefix.
std::optional<std::string> decodeBranch(InferenceContext& context, const CompletionRequest& request, int32_t maxTokens,
                                        const CancelFlag& cancel, const std::vector<llama_token>& prompt,
                                        const std::vector<llama_token>& greedy, const Branch& branch, int32_t& decoded) {
  const Model& model = context.model();
  TextStream stream(request.stop, request.carriedBytes);
  int32_t generated = 0;
  // Commits a token as the generation loop does; false when the completion ends with it.
  auto commit = [&](llama_token token) {
    ++generated;
    if (model.isEndOfGeneration(token)) return false;
    stream.append(model.tokenPiece(token, /*renderSpecial=*/false));
    return !stream.stopped() && generated < maxTokens;
  };
  auto text = [&] {
    if (!stream.stopped()) stream.finish();
    return stream.text();
  };

  std::vector<llama_token> sequence = prompt;
  for (size_t i = 0; i < branch.position; ++i) {
    commit(greedy[i]);  // the greedy completion went on past each of these
    sequence.push_back(greedy[i]);
  }
  BranchSequence side(context, commonPrefixLength(context.evaluated(), sequence));
  sequence.push_back(branch.token);
  ++decoded;
  for (bool more = commit(branch.token); more;) {
    if (isCancelled(cancel)) return std::nullopt;
    if (outOfTime(request) || sequence.size() > static_cast<size_t>(context.contextSize())) break;
    const auto status = side.append(sequence.data() + side.length(), sequence.size() - side.length());
    if (status == BranchSequence::Status::Aborted) return std::nullopt;
    if (status == BranchSequence::Status::NoRoom) break;
    const float* logits = side.logits();
    if (!logits) throw EngineError(ErrorCode::Internal, "no logits available for an alternative's next token");
    const llama_token token = argmaxToken(logits, model.vocabSize());
    sequence.push_back(token);
    ++decoded;
    more = commit(token);
  }
  return text();
}

}  // namespace

AlternativesOutcome decodeAlternatives(InferenceContext& context, const CompletionRequest& request, int32_t count, int32_t maxTokens,
                                       const CancelFlag& cancel, const std::vector<llama_token>& prompt, const CompletionResult& greedy,
                                       const std::vector<TokenChoices>& choices) {
  AlternativesOutcome out;
  const auto start = Clock::now();
  const std::vector<Branch> branches = rankBranches(choices, greedy.tokens);
  ShownTexts shown(greedy.text);
  const size_t tries = std::min(branches.size(), static_cast<size_t>(count) + 2);
  for (size_t i = 0; i < tries && out.texts.size() < static_cast<size_t>(count); ++i) {
    if (isCancelled(cancel) || outOfTime(request)) break;
    std::optional<std::string> text = decodeBranch(context, request, maxTokens, cancel, prompt, greedy.tokens, branches[i], out.tokens);
    if (!text) break;
    if (shown.admit(*text)) out.texts.push_back(std::move(*text));
  }
  out.ms = msSince(start);
  return out;
}

}  // namespace tandem
