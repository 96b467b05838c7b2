#include "engine/speculation/draft_corpus.h"

#include <chrono>
#include <set>

namespace tandem {

size_t utf8PrefixLength(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return text.size();
  size_t n = maxBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // don't split a character
  return n;
}

CorpusUpdate DraftCorpus::update(const std::vector<DocumentInput>& listed, const Tokenizer& tokenize) {
  const auto start = std::chrono::steady_clock::now();
  CorpusUpdate out;
  std::map<std::string, DraftDocument> next;
  std::vector<std::string> order;
  std::set<std::string> seen;
  size_t total = 0;
  bool changed = false;
  for (const DocumentInput& in : listed) {
    if (!seen.insert(in.id).second) continue;  // a repeated id: the first listing wins
    if (order.size() >= limits_.maxDocuments) {
      ++out.truncatedDocuments;
      changed = true;
      continue;
    }
    DraftDocument doc;
    auto old = docs_.find(in.id);
    if (in.tokens || in.text) {
      if (old != docs_.end() && old->second.version == in.version && old->second.source == in.source) {
        doc = std::move(old->second);  // same version sent again: the text is the same by contract
      } else {
        doc.id = in.id;
        doc.version = in.version;
        doc.source = in.source;
        if (in.tokens) {
          doc.tokens = *in.tokens;
        } else {
          const size_t keep = utf8PrefixLength(*in.text, limits_.maxDocumentBytes);
          if (keep < in.text->size()) {
            ++out.truncatedDocuments;
            out.droppedTokens += static_cast<int64_t>((in.text->size() - keep) / 4);  // ~4 bytes per code token
          }
          doc.tokens = tokenize(std::string_view(*in.text).substr(0, keep));
        }
        changed = true;
      }
    } else if (old != docs_.end() && old->second.version == in.version) {
      doc = std::move(old->second);
    } else {
      out.missing.push_back(in.id);
      if (old == docs_.end()) continue;
      doc = std::move(old->second);  // an older version still drafts well; the caller is told
    }
    if (doc.tokens.size() > limits_.maxDocumentTokens) {
      out.droppedTokens += static_cast<int64_t>(doc.tokens.size() - limits_.maxDocumentTokens);
      doc.tokens.resize(limits_.maxDocumentTokens);
      ++out.truncatedDocuments;
    }
    if (total + doc.tokens.size() > limits_.maxTotalTokens) {
      const size_t room = limits_.maxTotalTokens - total;
      out.droppedTokens += static_cast<int64_t>(doc.tokens.size() - room);
      doc.tokens.resize(room);
      ++out.truncatedDocuments;
    }
    total += doc.tokens.size();
    order.push_back(in.id);
    next.emplace(in.id, std::move(doc));
  }
  if (order != order_) changed = true;
  docs_ = std::move(next);
  order_ = std::move(order);
  if (changed) ++generation_;
  out.tokenizeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

void DraftCorpus::addHistory(std::vector<llama_token> output) {
  if (output.empty()) return;
  if (output.size() > limits_.maxHistoryTokens) output.resize(limits_.maxHistoryTokens);
  history_.push_back(std::move(output));
  size_t total = 0;
  for (const auto& h : history_) total += h.size();
  while (!history_.empty() && (history_.size() > limits_.maxHistory || total > limits_.maxHistoryTokens)) {
    total -= history_.front().size();
    history_.pop_front();
  }
}

std::vector<const DraftDocument*> DraftCorpus::documents() const {
  std::vector<const DraftDocument*> out;
  out.reserve(order_.size());
  for (const auto& id : order_) out.push_back(&docs_.at(id));
  return out;
}

size_t DraftCorpus::tokenCount() const {
  size_t n = 0;
  for (const auto& [id, d] : docs_) n += d.tokens.size();
  for (const auto& h : history_) n += h.size();
  return n;
}

size_t DraftCorpus::memoryBytes() const {
  size_t n = 0;
  for (const auto& [id, d] : docs_) n += d.tokens.capacity() * sizeof(llama_token) + id.size() * 2 + sizeof(d);
  for (const auto& h : history_) n += h.capacity() * sizeof(llama_token);
  return n;
}

FimParts locateFimParts(const std::vector<llama_token>& prompt, const PromptLayout& layout) {
  FimParts parts;
  if (layout.fimSuffix < 0 || layout.fimMiddle < 0) return parts;
  for (size_t m = prompt.size(); m-- > 0;) {
    if (prompt[m] != layout.fimMiddle) continue;
    for (size_t s = m; s-- > 0;) {
      if (prompt[s] != layout.fimSuffix) continue;
      parts.found = true;
      parts.suffix = s;
      parts.middle = m;
      return parts;
    }
    return parts;
  }
  return parts;
}

}  // namespace tandem
