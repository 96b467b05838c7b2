#include "napi/js_errors.h"

#include <new>

#include "engine/runtime/engine_error.h"

namespace tandem::napi {

ErrorInfo describeException(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const EngineError& e) {
    return {errorCodeName(e.code()), e.what()};
  } catch (const std::bad_alloc&) {
    return {"INTERNAL", "out of memory"};
  } catch (const std::exception& e) {
    return {"INTERNAL", std::string("internal error: ") + e.what()};
  } catch (...) {
    return {"INTERNAL", "internal error (unknown exception)"};
  }
}

Napi::Error makeJsError(Napi::Env env, const ErrorInfo& info) { return makeJsError(env, info.code.c_str(), info.message); }

Napi::Error makeJsError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace tandem::napi
