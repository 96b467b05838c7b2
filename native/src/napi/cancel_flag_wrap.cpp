#include "napi/cancel_flag_wrap.h"

#include "engine/runtime/engine_error.h"
#include "napi/addon_data.h"

namespace tandem::napi {

Napi::Function CancelFlagWrap::defineClass(Napi::Env env) {
  return DefineClass(env, "CancelFlag",
                     {InstanceMethod<&CancelFlagWrap::cancel>("cancel"), InstanceAccessor<&CancelFlagWrap::cancelled>("cancelled")});
}

CancelFlagWrap::CancelFlagWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelFlagWrap>(info) {}

void CancelFlagWrap::cancel(const Napi::CallbackInfo&) { flag_->store(true); }

Napi::Value CancelFlagWrap::cancelled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), flag_->load()); }

CancelFlag CancelFlagWrap::fromJs(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  if (value.IsObject() && value.As<Napi::Object>().InstanceOf(addonData(value.Env()).cancelFlagClass.Value())) {
    return Unwrap(value.As<Napi::Object>())->flag_;
  }
  throw EngineError(ErrorCode::InvalidArgument, "cancel must be a flag made by createCancelFlag()");
}

}  // namespace tandem::napi
