#include "engine/speculation/ngram_drafters.h"

#include <algorithm>

#include "engine/runtime/engine_error.h"
#include "engine/speculation/draft_corpus.h"
#include "ngram-cache.h"
#include "ngram-map.h"
#include "ngram-mod.h"

namespace tandem {
namespace {

// What llama.cpp's drafters take: the token history (every committed token but the newest) and
// the newest sampled token (`id_last`) apart. Our sequence is the prompt plus committed tokens,
// append-only within a request, so the history only grows.
class TokenHistory {
 public:
  void reset(const std::vector<llama_token>& prompt) { tokens_.assign(prompt.begin(), prompt.empty() ? prompt.end() : prompt.end() - 1); }
  // Brings the history up to `sequence` (non-empty) and returns its newest token.
  llama_token sync(const std::vector<llama_token>& sequence) {
    if (sequence.size() <= tokens_.size()) tokens_.assign(sequence.begin(), sequence.end() - 1);  // not a continuation
    tokens_.insert(tokens_.end(), sequence.begin() + static_cast<std::ptrdiff_t>(tokens_.size()), sequence.end() - 1);
    return sequence.back();
  }
  const llama_tokens& tokens() const { return tokens_; }

 private:
  llama_tokens tokens_;
};

DraftTree linearTree(const llama_tokens& draft, int32_t maxNodes) {
  DraftTree tree;
  const size_t n = std::min(draft.size(), static_cast<size_t>(std::max(0, maxNodes)));
  for (size_t i = 0; i < n; ++i) {
    tree.nodes.push_back(DraftNode{draft[i], static_cast<int32_t>(i) - 1, 0.5f, DraftSource::Prompt});
  }
  return tree;
}

// ngram-simple: the last sizeN tokens searched backwards in the history, the sizeM tokens after
// the most recent earlier occurrence drafted. Stateless (common_speculative_impl_ngram_simple).
class NgramSimpleDrafter : public Drafter {
 public:
  explicit NgramSimpleDrafter(const NgramDrafterOptions& o) : config_{o.sizeN, o.sizeM} {}
  void begin(const DraftCorpus&, const std::vector<llama_token>& prompt) override { history_.reset(prompt); }
  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override {
    if (sequence.empty()) return {};
    const llama_token last = history_.sync(sequence);
    return linearTree(common_ngram_simple_draft(config_, history_.tokens(), last), maxNodes);
  }
  void feedback(const DraftTree&, const VerifyOutcome&) override {}
  const char* name() const override { return "ngram-simple"; }

 private:
  common_ngram_simple_config config_;
  TokenHistory history_;
};

// ngram-map-k: like ngram-simple, but keys found before are remembered with statistics, and a key
// whose last draft was cut short drafts only as many tokens as were accepted then
// (common_speculative_impl_ngram_map_k with key_only = true). The map holds positions in one
// growing token history and llama.cpp's begin() assumes the next prompt extends the previous one;
// an editor's requests do not, so each request starts a fresh map (as a new llama-server slot).
class NgramMapKDrafter : public Drafter {
 public:
  explicit NgramMapKDrafter(const NgramDrafterOptions& o) : options_(o) {}
  void begin(const DraftCorpus&, const std::vector<llama_token>& prompt) override {
    history_.reset(prompt);
    map_ = std::make_unique<common_ngram_map>(options_.sizeN, options_.sizeM, /*only_keys=*/true, options_.minHits);
    common_ngram_map_begin(*map_, history_.tokens());
  }
  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override {
    if (sequence.empty() || !map_) return {};
    const llama_token last = history_.sync(sequence);
    llama_tokens out;
    common_ngram_map_draft(*map_, history_.tokens(), last, out);
    return linearTree(out, maxNodes);
  }
  void feedback(const DraftTree&, const VerifyOutcome& outcome) override {
    if (map_) common_ngram_map_accept(*map_, static_cast<uint16_t>(outcome.acceptedPath.size()));
  }
  const char* name() const override { return "ngram-map-k"; }

 private:
  NgramDrafterOptions options_;
  TokenHistory history_;
  std::unique_ptr<common_ngram_map> map_;
};

// ngram-mod: a fixed-size hash pool (4 Mi entries, 16 MiB) from n-gram to the token that followed
// it, shared across requests; drafts chain lookups. Mirrors common_speculative_impl_ngram_mod:
// n-grams added in chunks of 32, the pool reset when over 25 % full or after 5 drafts in a row
// with less than a quarter accepted.
class NgramModDrafter : public Drafter {
 public:
  explicit NgramModDrafter(const NgramDrafterOptions& o) : options_(o) {}

  void begin(const DraftCorpus&, const std::vector<llama_token>& prompt) override {
    // Allocated on first use, on the session thread (16 MiB, filled with EMPTY).
    if (!pool_) pool_ = std::make_unique<common_ngram_mod>(static_cast<uint16_t>(options_.modMatch), 4 * 1024 * 1024);
    common_ngram_mod& mod = *pool_;
    history_.reset(prompt);
    const llama_tokens& tokens = history_.tokens();
    lastAdded_ = 0;
    draftedLast_ = 0;
    const size_t n = mod.get_n();
    if (tokens.size() < n) return;
    for (size_t i = 0; i < tokens.size() - n; ++i) mod.add(tokens.data() + i);
    lastAdded_ = tokens.size() - n;
    if (static_cast<double>(mod.get_used()) / static_cast<double>(mod.size()) > 0.25) mod.reset();
  }

  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override {
    if (sequence.empty() || !pool_) return {};
    common_ngram_mod& mod = *pool_;
    const llama_token last = history_.sync(sequence);
    const llama_tokens& tokens = history_.tokens();
    draftedLast_ = 0;
    const size_t n = mod.get_n();
    const size_t length = tokens.size();
    if (length < n) return {};
    if (lastAdded_ + 32 < length) {
      for (size_t i = lastAdded_; i < length - n; ++i) mod.add(tokens.data() + i);
      lastAdded_ = length - n;
    }
    // result = the last n tokens (history tail + id_last), then each lookup appends one token.
    llama_tokens result(n + static_cast<size_t>(options_.modMax));
    for (size_t i = 0; i + 1 < n; ++i) result[i] = tokens[length - n + 1 + i];
    result[n - 1] = last;
    size_t drafted = static_cast<size_t>(options_.modMax);
    for (int32_t i = 0; i < options_.modMax; ++i) {
      const llama_token token = mod.get(result.data() + i);
      if (token == common_ngram_mod::EMPTY) {
        if (i < options_.modMin) return {};
        drafted = static_cast<size_t>(i);
        break;
      }
      result[n + static_cast<size_t>(i)] = token;
    }
    draftedLast_ = drafted;
    return linearTree(
        llama_tokens(result.begin() + static_cast<std::ptrdiff_t>(n), result.begin() + static_cast<std::ptrdiff_t>(n + drafted)), maxNodes);
  }

  void feedback(const DraftTree&, const VerifyOutcome& outcome) override {
    if (draftedLast_ == 0) return;
    const double accepted = static_cast<double>(outcome.acceptedPath.size()) / static_cast<double>(draftedLast_);
    if (accepted >= 0.25) {
      lowStreak_ = 0;
    } else if (++lowStreak_ >= 5) {
      pool_->reset();
      lowStreak_ = 0;
      lastAdded_ = 0;
    }
  }
  const char* name() const override { return "ngram-mod"; }
  DrafterCosts costs() const override {
    DrafterCosts c;
    c.indexBytes = pool_ ? pool_->size_bytes() : 0;
    return c;
  }

 private:
  NgramDrafterOptions options_;
  TokenHistory history_;
  std::unique_ptr<common_ngram_mod> pool_;
  size_t lastAdded_ = 0;    // sinfo.i_last: history positions before this are in the pool
  size_t draftedLast_ = 0;  // sinfo.n_draft_last
  int lowStreak_ = 0;       // sinfo.n_low
};

// ngram-cache (llama-lookup's algorithm): n-grams of 1..4 tokens → counts of the next token, in a
// context cache (this request's tokens) and a dynamic cache (earlier completions: the session
// history); a token is drafted while its counts pass llama.cpp's sample-size and share thresholds.
// No static cache (llama.cpp loads one from a file made from a large corpus). Mirrors
// common_speculative_impl_ngram_cache; its context cache assumes one growing history, so it is
// rebuilt per request.
class NgramCacheDrafter : public Drafter {
 public:
  static constexpr int kDraftTokens = 8;  // create_state_ngram_cache: n_draft = 8

  void begin(const DraftCorpus& corpus, const std::vector<llama_token>& prompt) override {
    history_.reset(prompt);
    context_.clear();
    cachedTokens_ = 0;
    dynamic_.clear();
    for (const auto& completion : corpus.history()) {
      std::vector<llama_token> tokens = completion;
      common_ngram_cache_update(dynamic_, LLAMA_NGRAM_MIN, LLAMA_NGRAM_MAX, tokens, static_cast<int>(tokens.size()), false);
    }
  }

  DraftTree draft(const std::vector<llama_token>& sequence, int32_t maxNodes) override {
    if (sequence.empty()) return {};
    const llama_token last = history_.sync(sequence);
    const llama_tokens& tokens = history_.tokens();
    if (cachedTokens_ < tokens.size() + 1) {
      llama_tokens fresh(tokens.begin() + static_cast<std::ptrdiff_t>(std::min(cachedTokens_, tokens.size())), tokens.end());
      fresh.push_back(last);
      common_ngram_cache_update(context_, LLAMA_NGRAM_MIN, LLAMA_NGRAM_MAX, fresh, static_cast<int>(fresh.size()), false);
      cachedTokens_ = tokens.size() + 1;
    }
    llama_tokens input = tokens;
    input.push_back(last);
    llama_tokens result{last};
    common_ngram_cache_draft(input, result, kDraftTokens, LLAMA_NGRAM_MIN, LLAMA_NGRAM_MAX, context_, dynamic_, static_);
    result.erase(result.begin());
    return linearTree(result, maxNodes);
  }
  void feedback(const DraftTree&, const VerifyOutcome&) override {}
  const char* name() const override { return "ngram-cache"; }

 private:
  TokenHistory history_;
  common_ngram_cache context_, dynamic_, static_;
  size_t cachedTokens_ = 0;  // sinfo.cache_size
};

}  // namespace

std::unique_ptr<Drafter> makeNgramDrafter(SpeculationMode mode, const NgramDrafterOptions& options) {
  switch (mode) {
    case SpeculationMode::NgramSimple:
      return std::make_unique<NgramSimpleDrafter>(options);
    case SpeculationMode::NgramMapK:
      return std::make_unique<NgramMapKDrafter>(options);
    case SpeculationMode::NgramMod:
      return std::make_unique<NgramModDrafter>(options);
    case SpeculationMode::NgramCache:
      return std::make_unique<NgramCacheDrafter>();
    default:
      throw EngineError(ErrorCode::InvalidArgument,
                        std::string("speculation mode '") + speculationModeName(mode) + "' is not one of llama.cpp's n-gram drafters");
  }
}

}  // namespace tandem
