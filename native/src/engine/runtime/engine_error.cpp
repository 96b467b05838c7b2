#include "engine/runtime/engine_error.h"

namespace tandem {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::ModelNotFound:
      return "MODEL_NOT_FOUND";
    case ErrorCode::ModelIsDirectory:
      return "MODEL_IS_DIRECTORY";
    case ErrorCode::ModelEmpty:
      return "MODEL_EMPTY";
    case ErrorCode::ModelNotGguf:
      return "MODEL_NOT_GGUF";
    case ErrorCode::ModelTruncated:
      return "MODEL_TRUNCATED";
    case ErrorCode::ModelNoTensors:
      return "MODEL_NO_TENSORS";
    case ErrorCode::ModelUnsupportedArch:
      return "MODEL_UNSUPPORTED_ARCH";
    case ErrorCode::ModelLoadFailed:
      return "MODEL_LOAD_FAILED";
    case ErrorCode::ContextOverflow:
      return "CONTEXT_OVERFLOW";
    case ErrorCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::InvalidUtf8:
      return "INVALID_UTF8";
    case ErrorCode::Busy:
      return "BUSY";
    case ErrorCode::Disposed:
      return "DISPOSED";
    case ErrorCode::Aborted:
      return "ABORTED";
    case ErrorCode::Internal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

}  // namespace tandem
