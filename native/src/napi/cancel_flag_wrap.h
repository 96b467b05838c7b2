// JS CancelFlag: cancel() sets an atomic flag that the engine's loops and llama's abort callback
// read from their own threads.
#pragma once

#include <napi.h>

#include "engine/runtime/cancel_flag.h"

namespace tandem::napi {

class CancelFlagWrap : public Napi::ObjectWrap<CancelFlagWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  // The flag behind a JS value: nullptr for undefined/null; INVALID_ARGUMENT for anything that
  // is not a flag made by createCancelFlag().
  static CancelFlag fromJs(const Napi::Value& value);

  explicit CancelFlagWrap(const Napi::CallbackInfo& info);

 private:
  void cancel(const Napi::CallbackInfo& info);
  Napi::Value cancelled(const Napi::CallbackInfo& info);

  CancelFlag flag_ = makeCancelFlag();
};

}  // namespace tandem::napi
