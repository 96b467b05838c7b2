#include "engine/decode/document_kv_store.h"
#include "test_runner.h"

using namespace tandem;

namespace {
// An entry of exactly `bytes` bytes: `tokens` tokens plus the rest as state.
bool putSized(DocumentKvStore& store, const std::string& key, size_t tokens, size_t bytes) {
  return store.put(key, std::vector<int32_t>(tokens, 7), std::vector<uint8_t>(bytes - tokens * sizeof(int32_t), 1));
}
}  // namespace

TEST("document kv: take returns what was put and removes it") {
  DocumentKvStore store(DocumentKvLimits{1000, 3});
  CHECK(store.put("a", {1, 2, 3}, {9, 8}));
  CHECK_EQ(store.stats().documents, 1);
  CHECK_EQ(store.stats().bytes, int64_t(3 * 4 + 2));
  auto a = store.take("a");
  CHECK(a.has_value());
  CHECK_EQ(a->key, std::string("a"));
  CHECK(a->tokens == (std::vector<int32_t>{1, 2, 3}));
  CHECK(a->state == (std::vector<uint8_t>{9, 8}));
  CHECK(!store.take("a").has_value());
  CHECK(!store.take("missing").has_value());
  CHECK_EQ(store.stats().documents, 0);
  CHECK_EQ(store.stats().bytes, int64_t(0));
}

TEST("document kv: put replaces an entry of the same key") {
  DocumentKvStore store(DocumentKvLimits{1000, 3});
  CHECK(putSized(store, "a", 2, 100));
  CHECK(putSized(store, "b", 2, 50));
  CHECK(putSized(store, "a", 3, 40));
  CHECK_EQ(store.stats().documents, 2);
  CHECK_EQ(store.stats().bytes, int64_t(90));
  CHECK_EQ(store.take("a")->tokens.size(), size_t(3));
}

TEST("document kv: least recently put goes first when the count limit is reached") {
  DocumentKvStore store(DocumentKvLimits{1 << 20, 2});
  putSized(store, "a", 1, 10);
  putSized(store, "b", 1, 10);
  putSized(store, "c", 1, 10);  // evicts a
  CHECK(!store.take("a").has_value());
  putSized(store, "b", 1, 10);  // b is newest again
  putSized(store, "d", 1, 10);  // evicts c, not b
  CHECK(!store.take("c").has_value());
  CHECK(store.take("b").has_value());
  CHECK(store.take("d").has_value());
}

TEST("document kv: least recently put goes first when the byte limit is reached") {
  DocumentKvStore store(DocumentKvLimits{100, 10});
  putSized(store, "a", 1, 40);
  putSized(store, "b", 1, 40);
  putSized(store, "c", 1, 40);  // 120 > 100: a goes
  const DocumentKvStats s = store.stats();
  CHECK_EQ(s.documents, 2);
  CHECK_EQ(s.bytes, int64_t(80));
  CHECK(!store.take("a").has_value());
  putSized(store, "d", 1, 95);  // only d fits beside nothing else
  CHECK_EQ(store.stats().documents, 1);
  CHECK(store.take("d").has_value());
}

TEST("document kv: an entry bigger than the byte limit is not kept") {
  DocumentKvStore store(DocumentKvLimits{100, 3});
  CHECK(putSized(store, "a", 1, 60));
  CHECK(!store.fits(101));
  CHECK(store.fits(100));
  CHECK(!putSized(store, "b", 1, 101));
  CHECK(store.take("a").has_value());  // nothing was evicted for it
  CHECK(putSized(store, "a", 1, 60));
  CHECK(!putSized(store, "a", 1, 200));  // a too-big replacement still drops the old entry
  CHECK_EQ(store.stats().documents, 0);
  CHECK_EQ(store.stats().bytes, int64_t(0));
}

TEST("document kv: limits of 0 disable saving") {
  DocumentKvStore noBytes(DocumentKvLimits{0, 3});
  CHECK(!noBytes.fits(0));
  CHECK(!noBytes.put("a", {}, {}));
  CHECK_EQ(noBytes.stats().documents, 0);
  DocumentKvStore noDocuments(DocumentKvLimits{1000, 0});
  CHECK(!noDocuments.put("a", {1}, {1}));
  CHECK_EQ(noDocuments.stats().documents, 0);
}

TEST("document kv: stats report the limits; clear empties") {
  DocumentKvStore store(DocumentKvLimits{5000, 4});
  putSized(store, "a", 2, 100);
  putSized(store, "b", 2, 200);
  DocumentKvStats s = store.stats();
  CHECK_EQ(s.documents, 2);
  CHECK_EQ(s.bytes, int64_t(300));
  CHECK_EQ(s.limitBytes, int64_t(5000));
  CHECK_EQ(s.maxDocuments, 4);
  store.clear();
  s = store.stats();
  CHECK_EQ(s.documents, 0);
  CHECK_EQ(s.bytes, int64_t(0));
  CHECK(!store.take("a").has_value());
  const DocumentKvStats defaults = DocumentKvStore().stats();
  CHECK_EQ(defaults.limitBytes, int64_t(256) << 20);
  CHECK_EQ(defaults.maxDocuments, 3);
}
