// Errors the engine reports. The N-API layer turns each into a JS Error whose `code` is
// errorCodeName(code) (the EngineErrorCode union in extension/engine/native.ts).
#pragma once

#include <stdexcept>
#include <string>

namespace tandem {

enum class ErrorCode {
  ModelNotFound,
  ModelIsDirectory,
  ModelEmpty,
  ModelNotGguf,
  ModelTruncated,
  ModelNoTensors,
  ModelUnsupportedArch,
  ModelLoadFailed,
  ContextOverflow,
  InvalidArgument,
  InvalidUtf8,
  Busy,
  Disposed,
  Aborted,
  Internal,
};

const char* errorCodeName(ErrorCode code);

class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace tandem
