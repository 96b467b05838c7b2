// 'auto' device choice when accelerators are present: measures, per candidate device, prefill
// throughput (a 256-token batch), one decode step T(1) and, for accelerators, the throughput of
// prefilling for a CPU decode context (op-offload or KV hand-over, whichever the backend allows).
// Results are cached on disk next to the T(k) curves (cost_model.h), keyed by model file + device
// + threads, so only the first load on a machine pays for them.
#pragma once

#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/placement/device_selection.h"

namespace tandem {

MeasuredChoice measureAutoPlacement(const std::string& path, const std::vector<DeviceInfo>& devices, const ModelLoadOptions& options);

// "prefill=…,step=…,cross=…" (the cache file's line) and back; false when malformed.
std::string formatPhaseMeasurement(const PhaseMeasurement& m);
bool parsePhaseMeasurement(const std::string& line, PhaseMeasurement& m);

}  // namespace tandem
