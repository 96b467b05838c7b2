#include "engine/speculation/speculation_stats.h"

namespace tandem {

namespace {
struct ModeName {
  SpeculationMode mode;
  const char* name;
};
constexpr ModeName kModes[] = {
    {SpeculationMode::Off, "off"},
    {SpeculationMode::Pld, "pld"},
    {SpeculationMode::Sam, "sam"},
    {SpeculationMode::NgramSimple, "ngram-simple"},
    {SpeculationMode::NgramMapK, "ngram-map-k"},
    {SpeculationMode::NgramMod, "ngram-mod"},
    {SpeculationMode::NgramCache, "ngram-cache"},
    {SpeculationMode::Auto, "auto"},
};
}  // namespace

const char* speculationModeName(SpeculationMode mode) {
  for (const auto& m : kModes)
    if (m.mode == mode) return m.name;
  return "off";
}

std::optional<SpeculationMode> parseSpeculationMode(const std::string& name) {
  for (const auto& m : kModes)
    if (name == m.name) return m.mode;
  return std::nullopt;
}

}  // namespace tandem
