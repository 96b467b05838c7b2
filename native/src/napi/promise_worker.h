// Runs a function on libuv's thread pool and settles a promise with its result, so model loads,
// tokenization of large texts and session teardown never block the JS thread.
#pragma once

#include <functional>
#include <memory>

#include <napi.h>

#include "napi/js_errors.h"

namespace tandem::napi {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  // What the work returns: a converter run on the JS thread that makes the resolved value.
  using ToJs = std::function<Napi::Value(Napi::Env)>;
  using Work = std::function<ToJs()>;

  static Napi::Promise start(Napi::Env env, Work work) {
    std::unique_ptr<PromiseWorker> worker(new PromiseWorker(env, std::move(work)));  // freed here if queueing fails
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    worker.release();  // queued: deleted by AsyncWorker after OnOK
    return promise;
  }

 protected:
  void Execute() override {
    try {
      toJs_ = work_();
    } catch (...) {
      error_ = describeException(std::current_exception());
      failed_ = true;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      deferred_.Reject(makeJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(toJs_ ? toJs_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(makeJsError(env, describeException(std::current_exception())).Value());
    }
  }

 private:
  PromiseWorker(Napi::Env env, Work work)
      : Napi::AsyncWorker(env, "tandem"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs toJs_;
  ErrorInfo error_;
  bool failed_ = false;
};

}  // namespace tandem::napi
