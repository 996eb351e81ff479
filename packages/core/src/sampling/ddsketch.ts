/**
 * A small DDSketch (Masson, Rim & Lee, VLDB 2019): a quantile sketch with relative-error
 * guarantees. A value `x` falls into bin `i = ceil(log_gamma(x))` with
 * `gamma = (1 + alpha) / (1 - alpha)`, so every quantile is reported within `alpha` relative
 * error. Bins are plain counts, so sketches with the same `alpha` merge exactly and, unlike
 * most sketch libraries, also *subtract* exactly: that is what makes a sliding window cheap
 * (see {@link WindowedQuantile}).
 *
 * Values are clamped to [minValue, maxValue] (1e-3 .. 1e8 ms by default: ~1,840 possible
 * bins at 1%); storage is dense over the range actually observed and grows on demand.
 */
export class DDSketch {
  readonly alpha: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly minIndex: number;
  private readonly maxIndex: number;
  /** counts[k] is the count of bin (offset + k). */
  private counts: Float64Array = new Float64Array(0);
  private offset = 0;
  private _count = 0;

  constructor(alpha = 0.01, minValue = 1e-3, maxValue = 1e8) {
    this.alpha = alpha;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
    this.minIndex = this.indexOf(minValue);
    this.maxIndex = this.indexOf(maxValue);
  }

  get count(): number {
    return this._count;
  }

  /** Approximate memory held by the bins, in bytes. */
  get byteLength(): number {
    return this.counts.byteLength;
  }

  private indexOf(value: number): number {
    return Math.ceil(Math.log(value) / this.logGamma);
  }

  /** The bin `value` falls into (the same in every sketch with this `alpha`). */
  binOf(value: number): number {
    return this.clampedIndex(value);
  }

  /** Adds `weight` to a bin found with {@link binOf} (of a sketch with the same `alpha`). */
  addToBin(index: number, weight = 1): void {
    this.ensure(index);
    this.counts[index - this.offset] += weight;
    this._count += weight;
  }

  private clampedIndex(value: number): number {
    if (!(value > 0)) return this.minIndex; // 0, negatives and NaN go to the lowest bin
    const i = this.indexOf(value);
    return i < this.minIndex ? this.minIndex : Math.min(i, this.maxIndex);
  }

  add(value: number, weight = 1): void {
    this.addToBin(this.clampedIndex(value), weight);
  }

  private ensure(index: number): void {
    const len = this.counts.length;
    if (len === 0) {
      this.counts = new Float64Array(16);
      this.offset = index - 8;
      return;
    }
    if (index >= this.offset && index < this.offset + len) return;
    const lo = Math.min(this.offset, index);
    const hi = Math.max(this.offset + len - 1, index);
    // Grow with slack on the side that overflowed so repeated growth is amortised.
    const slack = Math.max(8, len >> 1);
    const newLo = index < this.offset ? Math.max(this.minIndex, lo - slack) : lo;
    const newHi = index > this.offset + len - 1 ? Math.min(this.maxIndex, hi + slack) : hi;
    const next = new Float64Array(newHi - newLo + 1);
    next.set(this.counts, this.offset - newLo);
    this.counts = next;
    this.offset = newLo;
  }

  /** Adds every bin of `other` (same alpha) into this sketch. */
  merge(other: DDSketch): void {
    this.combine(other, 1);
  }

  /** Removes every bin of `other` from this sketch; `other` must have been merged in before. */
  subtract(other: DDSketch): void {
    this.combine(other, -1);
  }

  private combine(other: DDSketch, sign: 1 | -1): void {
    if (other.alpha !== this.alpha) throw new Error('DDSketch: cannot combine different alphas');
    const oc = other.counts;
    for (let k = 0; k < oc.length; k++) {
      const c = oc[k];
      if (c === 0) continue;
      const index = other.offset + k;
      this.ensure(index);
      const j = index - this.offset;
      const v = this.counts[j] + sign * c;
      this.counts[j] = Math.max(v, 0);
      this._count += sign * c;
    }
    if (this._count < 0) this._count = 0;
  }

  clear(): void {
    this.counts.fill(0);
    this._count = 0;
  }

  /** The bin index holding quantile `q` (0..1), or undefined when empty. */
  private quantileIndex(q: number): number | undefined {
    if (this._count <= 0) return undefined;
    const rank = q * (this._count - 1);
    let cumulative = 0;
    const c = this.counts;
    for (let k = 0; k < c.length; k++) {
      cumulative += c[k];
      if (cumulative > rank) return this.offset + k;
    }
    // Floating point residue: the highest non-empty bin.
    for (let k = c.length - 1; k >= 0; k--) if (c[k] > 0) return this.offset + k;
    return undefined;
  }

  /** The DDSketch estimate of quantile `q` (within `alpha` relative error). */
  quantile(q: number): number | undefined {
    const i = this.quantileIndex(q);
    return i === undefined ? undefined : (2 * this.gamma ** i) / (this.gamma + 1);
  }

  /**
   * Quantile `q` interpolated linearly inside its bin, from the rank's position among the
   * bin's samples. Within the sketch's relative accuracy like {@link quantile}, but it does not
   * put a whole bin on one side of the threshold: with constant latencies, say, nothing counts
   * as above the p99, while with continuous ones the share above it stays close to `1 - q`.
   */
  quantileInterpolated(q: number): number | undefined {
    if (this._count <= 0) return undefined;
    const rank = q * (this._count - 1);
    let cumulative = 0;
    const c = this.counts;
    for (let k = 0; k < c.length; k++) {
      const n = c[k];
      if (n <= 0) continue;
      if (cumulative + n > rank) {
        const i = this.offset + k;
        const lo = this.gamma ** (i - 1);
        const hi = lo * this.gamma;
        const f = Math.min(1, Math.max(0, (rank - cumulative + 0.5) / n));
        return lo + (hi - lo) * f;
      }
      cumulative += n;
    }
    return this.quantile(1);
  }

  /**
   * The lower edge of the bin holding quantile `q`. "Exceeds the quantile" tests against this
   * edge keep everything in the quantile's bin: at most `2 * alpha` relative below the true
   * quantile, never above it.
   */
  quantileLowerBound(q: number): number | undefined {
    const i = this.quantileIndex(q);
    return i === undefined ? undefined : this.gamma ** (i - 1);
  }
}
