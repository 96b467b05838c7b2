#include "napi/js_dispatcher.h"

namespace tandem::napi {

std::shared_ptr<JsDispatcher> JsDispatcher::create(Napi::Env env, const char* name) {
  auto dispatcher = std::make_shared<JsDispatcher>();
  dispatcher->tsfn_ = Tsfn::New(env, name, 0, 1);
  return dispatcher;
}

bool JsDispatcher::post(Job job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (released_) return false;
  auto* heapJob = new Job(std::move(job));
  if (tsfn_.NonBlockingCall(heapJob) != napi_ok) {
    delete heapJob;
    return false;
  }
  return true;
}

void JsDispatcher::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (released_) return;
  released_ = true;
  tsfn_.Release();
}

void JsDispatcher::callJs(Napi::Env env, Napi::Function, void*, Job* job) {
  // env is null when Node is shutting down: drop the job without running it.
  if (env != nullptr && job != nullptr) {
    try {
      (*job)(env);
    } catch (const Napi::Error& e) {
      // A job that let a JS exception escape has nobody to report to; surface it like Node would.
      napi_fatal_exception(env, e.Value());
    } catch (...) {}
  }
  delete job;
}

}  // namespace tandem::napi
