// Small statistics for benchmark reports (pure).

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** The median (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** a / b, or null when either is missing or b is 0 (a ratio that cannot be formed is not 0). */
export function ratio(a: number | undefined | null, b: number | undefined | null): number | null {
  if (a === undefined || a === null || b === undefined || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Fixed decimals, or '–' for a missing value. */
export function fmt(value: number | null | undefined, digits = 2, suffix = ''): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(digits)}${suffix}`;
}

/** The nearest-rank percentile (p in 0..100), or null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
