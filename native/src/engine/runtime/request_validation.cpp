#include "engine/runtime/request_validation.h"

#include <cmath>
#include <sstream>
#include <string>

#include "engine/runtime/engine_error.h"

namespace tandem {
namespace {

std::string formatNumber(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

int32_t validateMaxTokens(double maxTokens, int32_t contextSize) {
  if (!std::isfinite(maxTokens) || std::floor(maxTokens) != maxTokens) {
    throw EngineError(ErrorCode::InvalidArgument, "maxTokens must be a whole number, got " + formatNumber(maxTokens));
  }
  if (maxTokens < 1) throw EngineError(ErrorCode::InvalidArgument, "maxTokens must be at least 1, got " + formatNumber(maxTokens));
  if (maxTokens > contextSize) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "maxTokens (" + formatNumber(maxTokens) + ") exceeds the context size (" + std::to_string(contextSize) + " tokens)");
  }
  return static_cast<int32_t>(maxTokens);
}

void validateTimeBudget(double timeBudgetMs) {
  if (!std::isfinite(timeBudgetMs) || timeBudgetMs < 0) {
    throw EngineError(ErrorCode::InvalidArgument,
                      "timeBudgetMs must be 0 (no limit) or a positive number of ms, got " + formatNumber(timeBudgetMs));
  }
}

void validatePromptLength(size_t promptTokens, int32_t contextSize) {
  if (promptTokens == 0) throw EngineError(ErrorCode::InvalidArgument, "prompt is empty: give at least one token of text");
  if (promptTokens > static_cast<size_t>(contextSize)) {
    throw EngineError(ErrorCode::ContextOverflow, "prompt has " + std::to_string(promptTokens) + " tokens but the context holds only " +
                                                      std::to_string(contextSize) + " tokens");
  }
}

int32_t validateCount(const char* name, double value, int32_t minValue, int32_t maxValue) {
  if (!std::isfinite(value) || std::floor(value) != value || value < minValue || value > maxValue) {
    throw EngineError(ErrorCode::InvalidArgument, std::string(name) + " must be a whole number from " + std::to_string(minValue) + " to " +
                                                      std::to_string(maxValue) + ", got " + formatNumber(value));
  }
  return static_cast<int32_t>(value);
}

int64_t validateByteCount(const char* name, double value) {
  constexpr double kMax = 9007199254740992.0;  // 2^53
  if (!std::isfinite(value) || std::floor(value) != value || value < 0 || value > kMax) {
    throw EngineError(ErrorCode::InvalidArgument,
                      std::string(name) + " must be a whole number of bytes from 0 to 2^53, got " + formatNumber(value));
  }
  return static_cast<int64_t>(value);
}

}  // namespace tandem
