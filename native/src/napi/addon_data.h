// Per-environment state of the addon: the constructors of its wrapped classes, so C++ can create
// Model and Session objects for promises it resolves.
#pragma once

#include <napi.h>

namespace tandem::napi {

struct AddonData {
  Napi::FunctionReference modelClass;
  Napi::FunctionReference sessionClass;
  Napi::FunctionReference cancelFlagClass;
};

inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace tandem::napi
