#include "engine/decode/text_stream.h"
#include "engine/decode/stop_matcher.h"
#include "test_runner.h"

using namespace tandem;

TEST("stop matcher: finds the earliest stop string") {
  StopMatcher m({"\n\n", "END", ""});
  CHECK_EQ(m.findStop("abc END x\n\n"), size_t(4));
  CHECK_EQ(m.findStop("abc"), std::string::npos);
  CHECK_EQ(m.longest(), size_t(3));
}

TEST("stop matcher: held back length is the longest tail that starts a stop string") {
  StopMatcher m({"</end>", "\n\n"});
  CHECK_EQ(m.heldBackLength("text</e"), size_t(3));
  CHECK_EQ(m.heldBackLength("text\n"), size_t(1));
  CHECK_EQ(m.heldBackLength("text"), size_t(0));
  CHECK_EQ(m.heldBackLength("<"), size_t(1));
}

TEST("text stream: without stops releases whole characters only") {
  TextStream s({});
  CHECK_EQ(s.append("ab"), std::string("ab"));
  CHECK_EQ(s.append("\xE2\x82"), std::string(""));
  CHECK_EQ(s.append("\xAC!"), std::string("\xE2\x82\xAC!"));
  CHECK_EQ(s.finish(), std::string(""));
  CHECK_EQ(s.text(), std::string("ab\xE2\x82\xAC!"));
}

TEST("text stream: withholds a possible stop prefix and cuts at the stop") {
  TextStream s({"STOP"});
  CHECK_EQ(s.append("hello S"), std::string("hello "));
  CHECK_EQ(s.append("T"), std::string(""));
  CHECK_EQ(s.append("OPand more"), std::string(""));
  CHECK(s.stopped());
  CHECK_EQ(s.text(), std::string("hello "));
}

TEST("text stream: a false alarm is released once it cannot be a stop") {
  TextStream s({"STOP"});
  CHECK_EQ(s.append("ST"), std::string(""));
  CHECK_EQ(s.append("AR"), std::string("STAR"));
  CHECK(!s.stopped());
}

TEST("text stream: stop spanning several pieces, text before it released") {
  TextStream s({"\n\n"});
  std::string out;
  for (const char* piece : {"int x", ";\n", "\nint y"}) out += s.append(piece);
  CHECK(s.stopped());
  CHECK_EQ(out, std::string("int x;"));
  CHECK_EQ(s.text(), std::string("int x;"));
}

TEST("text stream: finish releases what was held") {
  TextStream s({"STOP"});
  std::string out = s.append("abc ST");
  out += s.finish();
  CHECK_EQ(out, std::string("abc ST"));
  CHECK_EQ(s.text(), out);
}

TEST("text stream: pieces always concatenate to the final text") {
  TextStream s({"xyz", "\xE2\x82\xAC"});
  std::string out;
  for (const char* piece : {"a", "x", "y", "\xE2", "\x82", "b", "xy", "c"}) out += s.append(piece);
  out += s.finish();
  CHECK_EQ(out, s.text());
  CHECK_EQ(out, std::string("axy\xE2\x82"
                            "bxyc"));
}

TEST("text stream: an unfinished character at the end is pending, and a carried stream completes it") {
  TextStream first({});
  std::string out = first.append("ab\xE2");
  out += first.append("\x82");
  out += first.finish();
  CHECK_EQ(out, std::string("ab"));
  CHECK_EQ(first.text(), std::string("ab"));
  CHECK_EQ(first.pending(), std::string("\xE2\x82"));

  TextStream resumed({}, first.pending());
  std::string more = resumed.append("\xAC!");
  more += resumed.finish();
  CHECK_EQ(more, std::string("\xE2\x82\xAC!"));
  CHECK_EQ(resumed.pending(), std::string(""));
  CHECK_EQ(out + more, std::string("ab\xE2\x82\xAC!"));
}
