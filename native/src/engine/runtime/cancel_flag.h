// A cancellation flag shared between the thread that asks (JS) and the thread that works.
#pragma once

#include <atomic>
#include <memory>

namespace tandem {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

inline CancelFlag makeCancelFlag() { return std::make_shared<std::atomic<bool>>(false); }
inline bool isCancelled(const CancelFlag& flag) { return flag && flag->load(std::memory_order_relaxed); }

}  // namespace tandem
