#include "engine/speculation/cost_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

namespace tandem {

std::optional<CostCurve> parseCostCurve(const std::string& text) {
  std::vector<std::pair<int32_t, double>> points;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos) return std::nullopt;
    try {
      const int k = std::stoi(item.substr(0, colon));
      const double ms = std::stod(item.substr(colon + 1));
      if (k < 1 || !(ms > 0)) return std::nullopt;
      points.emplace_back(k, ms);
    } catch (...) {
      return std::nullopt;
    }
  }
  if (points.empty()) return std::nullopt;
  CostCurve curve(points);
  if (curve.points().front().first != 1) return std::nullopt;
  return curve;
}

std::string formatCostCurve(const CostCurve& curve) {
  std::ostringstream out;
  for (size_t i = 0; i < curve.points().size(); ++i) {
    if (i) out << ',';
    out << curve.points()[i].first << ':' << curve.points()[i].second;
  }
  return out.str();
}

namespace {
double medianOfSorted(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
}  // namespace

CostCurve curveFromRuns(std::vector<std::pair<int32_t, std::vector<double>>> runsPerK) {
  std::sort(runsPerK.begin(), runsPerK.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<int32_t, double>> points;
  double previousFastest = 0;
  for (const auto& [k, given] : runsPerK) {
    if (given.empty()) continue;
    std::vector<double> runs = given;
    std::sort(runs.begin(), runs.end());
    const double median = medianOfSorted(runs);
    double ms = median;
    // A bigger batch may be cheaper for real (ggml's repacked CPU matmul takes 4 columns at a
    // time: T(4) < T(3) on x86), but a noisy dip must not pass for one: keep it only when the
    // median beats every run of the smaller batch.
    if (!points.empty() && median < points.back().second && median >= previousFastest) ms = points.back().second;
    points.emplace_back(k, ms);
    previousFastest = runs.front();
  }
  return CostCurve(points);
}

CostCurve measureCostCurve(InferenceContext& context, int32_t maxK, int reps, double stopRatio) {
  std::vector<std::pair<int32_t, std::vector<double>>> measured;
  context.timeForwardPass(1);  // warm-up: first graph build and allocation
  double t1 = 0;
  for (int32_t k : {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96, 128}) {
    if (k > maxK) break;
    std::vector<double> runs;
    for (int r = 0; r < reps; ++r) {
      const double ms = context.timeForwardPass(k);
      if (ms < 0) break;
      runs.push_back(ms);
    }
    if (runs.empty()) break;
    std::sort(runs.begin(), runs.end());
    const double median = medianOfSorted(runs);
    if (k == 1) t1 = median;
    measured.emplace_back(k, std::move(runs));
    if (t1 > 0 && median > stopRatio * t1) break;
  }
  return curveFromRuns(std::move(measured));
}

CostCacheIdentity costCacheIdentity(const Model& model, int32_t threads, const std::string& device) {
  const ModelInfo& info = model.info();
  struct stat st{};
  CostCacheIdentity id;
  if (stat(info.path.c_str(), &st) == 0) id.mtime = static_cast<long long>(st.st_mtime);
  id.modelPath = info.path;
  id.fileSizeBytes = info.fileSizeBytes;
  id.description = info.description;
  id.layers = info.layers;
  id.threads = threads;
  id.device = device;
  return id;
}

std::string decodeDeviceKey(const Model& model) {
  const Placement& p = model.placement();
  // With op-offload, batches of ≥ 32 tokens run on the prefill device: part of the curve moves.
  if (p.strategy == PlacementStrategy::OpOffload) return p.decode.name + "+op-offload:" + p.prefill.name;
  return p.decode.name;
}

CostCurveSource costCurveFor(InferenceContext& context) {
  CostCurveSource out;
  if (const char* env = std::getenv("TANDEM_COST_CURVE")) {
    if (auto c = parseCostCurve(env)) {
      out.curve = *c;
      out.origin = "env";
      return out;
    }
  }
  const std::string dir = costCacheDir();
  const bool caching = !dir.empty() && dir != "off";
  if (caching) {
    out.cacheFile = dir + "/" + costCacheKey(costCacheIdentity(context.model(), context.threads(), decodeDeviceKey(context.model()))) +
                    ".v2.txt";  // v2: real dips kept (curveFromRuns)
    std::ifstream in(out.cacheFile);
    std::string line;
    if (in && std::getline(in, line)) {
      if (auto c = parseCostCurve(line)) {
        out.curve = *c;
        out.origin = "cache";
        return out;
      }
    }
  }
  const auto start = std::chrono::steady_clock::now();
  out.curve = measureCostCurve(context);
  out.measureMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out.origin = "measured (not cached)";
  if (caching && !out.curve.empty()) {
    makeCacheDirs(dir);
    std::ofstream file(out.cacheFile);
    if (file << formatCostCurve(out.curve) << '\n') out.origin = "measured";
  }
  return out;
}

}  // namespace tandem
