#include "engine/runtime/request_validation.h"
#include "engine/runtime/engine_error.h"
#include "test_runner.h"

using namespace tandem;

TEST("validation: maxTokens must be a whole number in 1..context") {
  CHECK_EQ(validateMaxTokens(16, 512), 16);
  CHECK_EQ(validateMaxTokens(512, 512), 512);
  CHECK_THROWS_CODE(validateMaxTokens(0, 512), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateMaxTokens(-3, 512), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateMaxTokens(1.5, 512), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateMaxTokens(513, 512), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateMaxTokens(1e300, 512), ErrorCode::InvalidArgument);
}

TEST("validation: prompt must be non-empty and fit the context") {
  validatePromptLength(10, 10);
  CHECK_THROWS_CODE(validatePromptLength(0, 10), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validatePromptLength(11, 10), ErrorCode::ContextOverflow);
  try {
    validatePromptLength(600, 512);
  } catch (const EngineError& e) {
    const std::string m = e.what();
    CHECK(m.find("600") != std::string::npos && m.find("512") != std::string::npos);
  }
}

TEST("validation: time budget and counts") {
  validateTimeBudget(0);
  validateTimeBudget(250);
  CHECK_THROWS_CODE(validateTimeBudget(-1), ErrorCode::InvalidArgument);
  CHECK_EQ(validateCount("threads", 4, 1, 8), 4);
  CHECK_THROWS_CODE(validateCount("threads", 0, 1, 8), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateCount("threads", 2.5, 1, 8), ErrorCode::InvalidArgument);
}

TEST("validation: byte counts are whole and non-negative") {
  CHECK_EQ(validateByteCount("documentKvBytes", 0), int64_t(0));
  CHECK_EQ(validateByteCount("documentKvBytes", 268435456.0), int64_t(268435456));
  CHECK_EQ(validateByteCount("documentKvBytes", 8589934592.0), int64_t(8589934592));  // beyond int32
  CHECK_THROWS_CODE(validateByteCount("documentKvBytes", -1), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateByteCount("documentKvBytes", 1.5), ErrorCode::InvalidArgument);
  CHECK_THROWS_CODE(validateByteCount("documentKvBytes", 1e300), ErrorCode::InvalidArgument);
}
