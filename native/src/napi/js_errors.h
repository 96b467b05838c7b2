// Every C++ failure reaches JS as an Error with a `code` (EngineErrorCode in native.ts); no C++
// exception crosses the N-API boundary in any other form.
#pragma once

#include <exception>
#include <string>

#include <napi.h>

namespace tandem::napi {

struct ErrorInfo {
  std::string code;
  std::string message;
};

// Describes the exception being handled (call inside a catch block or with a stored pointer).
ErrorInfo describeException(std::exception_ptr error);
Napi::Error makeJsError(Napi::Env env, const ErrorInfo& info);
Napi::Error makeJsError(Napi::Env env, const char* code, const std::string& message);

// Runs `body`; a C++ exception becomes a thrown JS Error with a code.
template <typename Body>
auto withJsErrors(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw makeJsError(env, describeException(std::current_exception()));
  }
}

// For promise-returning methods: a synchronous failure becomes a rejected promise.
template <typename Body>
Napi::Value promiseOrRejection(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  } catch (...) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(makeJsError(env, describeException(std::current_exception())).Value());
    return deferred.Promise();
  }
}

}  // namespace tandem::napi
