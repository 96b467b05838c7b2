// Reference T(k) curves ([k, ms]) for the drafting simulation when none is measured.

/** Measured on this class of machine (shared/facts/llama-cpp.md): 0.5B Q4_0, 2 threads, depth 1000. */
export const CPU_CURVE_FACTS: [number, number][] = [
  [1, 33],
  [2, 56],
  [4, 82],
  [8, 154],
  [16, 262],
  [64, 751],
];
export const CPU_CURVE_FACTS_ORIGIN = 'facts/llama-cpp.md (0.5B Q4_0, 2 threads, depth 1000)';
/** A GPU-like curve: nearly flat up to k ≈ 64. */
export const FLAT_CURVE: [number, number][] = [
  [1, 10],
  [64, 11],
  [128, 14],
];
