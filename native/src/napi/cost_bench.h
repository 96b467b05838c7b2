// addon.measureCost (extension/engine/native.ts): T(k) for `tandem bench cost`.
#pragma once

#include <napi.h>

namespace tandem::napi {

// measureCost(modelPath, { ks, threads?, gpuLayers?, device?, depth?, reps? }) → Promise of the timings.
Napi::Value measureCostJs(const Napi::CallbackInfo& info);

}  // namespace tandem::napi
