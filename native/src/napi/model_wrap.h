// JS Model: info, tokenization and session creation over a shared engine Model.
// dispose() never waits and never refuses: it drops this object's hold on the weights, which are
// freed once every session created from it is disposed too (sessions keep their own hold).
#pragma once

#include <memory>

#include <napi.h>

#include "engine/model/model.h"

namespace tandem::napi {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  static Napi::Object create(Napi::Env env, std::shared_ptr<Model> model);

  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value detokenize(const Napi::CallbackInfo& info);
  Napi::Value applyChatTemplate(const Napi::CallbackInfo& info);
  Napi::Value createSession(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<Model> liveModel() const;  // throws DISPOSED

  std::shared_ptr<Model> model_;
};

}  // namespace tandem::napi
