// Checks of caller-supplied numbers, with messages that say what was wrong and what is allowed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem {

// maxTokens must be an integer in 1..contextSize. Returns it as an int. Throws InvalidArgument.
int32_t validateMaxTokens(double maxTokens, int32_t contextSize);
// 0 = no limit; negative or non-finite is rejected. Throws InvalidArgument.
void validateTimeBudget(double timeBudgetMs);
// Throws InvalidArgument for an empty prompt and ContextOverflow when it does not fit.
void validatePromptLength(size_t promptTokens, int32_t contextSize);
// An optional positive integer option (0 = "use the default"); throws InvalidArgument.
int32_t validateCount(const char* name, double value, int32_t minValue, int32_t maxValue);
// A byte count: a whole number from 0 to 2^53 (exact in a JS number); throws InvalidArgument.
int64_t validateByteCount(const char* name, double value);

}  // namespace tandem
