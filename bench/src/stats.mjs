export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * A distribution-free confidence interval for the median (order statistics: the k-th smallest
 * and k-th largest values, with k the largest count such that P(Binomial(n, 1/2) < k) <= α/2).
 * `[NaN, NaN]` when there are too few values for the level (fewer than 6 at 95%).
 */
export function medianInterval(values, level = 0.95) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  const alpha = (1 - level) / 2;
  if (n > 500) {
    // 0.5 ** n underflows past ~1000 values: the normal approximation is exact enough there.
    const z = level === 0.95 ? 1.96 : Math.SQRT2 * inverseErf(level);
    const k = Math.max(1, Math.floor(n / 2 - (z * Math.sqrt(n)) / 2));
    return [v[k - 1], v[n - k]];
  }
  let k = 0;
  let cdf = 0;
  let term = 0.5 ** n; // P(X = 0)
  // Largest k with P(X <= k - 1) <= alpha, walking the binomial(n, 1/2) terms.
  for (let i = 0; i < n; i++) {
    if (cdf + term > alpha) break;
    cdf += term;
    k = i + 1;
    term = (term * (n - i)) / (i + 1);
  }
  if (k < 1) return [Number.NaN, Number.NaN];
  return [v[k - 1], v[n - k]];
}

/** Inverse error function (Winitzki's approximation; enough for interval widths). */
function inverseErf(x) {
  const a = 0.147;
  const ln = Math.log(1 - x * x);
  const t = 2 / (Math.PI * a) + ln / 2;
  return Math.sign(x) * Math.sqrt(Math.sqrt(t * t - ln / a) - t);
}

/** Max-min spread relative to the median, in percent. */
export function spreadPct(values) {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2) return Number.NaN;
  return ((Math.max(...v) - Math.min(...v)) / median(v)) * 100;
}

/** Rotate and alternate the direction of a row order so that no row always runs first or last. */
export function orderForRound(rows, round) {
  const k = rows.length;
  const rotated = rows.map((_, i) => rows[(i + round) % k]);
  return round % 2 ? rotated.reverse() : rotated;
}

export const fmt = {
  us: (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a'),
  ratio: (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a'),
  pct: (x) => (Number.isFinite(x) ? `${x.toFixed(0)}%` : 'n/a'),
  bytes: (x) => {
    if (!Number.isFinite(x)) return 'n/a';
    const a = Math.abs(x);
    const sign = x < 0 ? '-' : '';
    if (a >= 1024 * 1024) return `${sign}${(a / 1024 / 1024).toFixed(2)} MiB`;
    if (a >= 1024) return `${sign}${(a / 1024).toFixed(1)} KiB`;
    return `${sign}${a} B`;
  },
  ms: (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a'),
};
