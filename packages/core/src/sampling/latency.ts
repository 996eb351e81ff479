import { DDSketch } from './ddsketch.js';

export interface WindowedQuantileOptions {
  /** Length of the sliding window, in ms. */
  windowMs: number;
  /** Number of sub-sketches the window is split into (its time resolution). */
  slots: number;
  /** Samples needed before the sketch is trusted. */
  minSamples: number;
  /** Relative accuracy of the sketch. */
  alpha: number;
}

/**
 * A quantile over a sliding time window: a ring of sub-sketches (one per `windowMs / slots`)
 * plus their running sum. Adding touches the current slot and the sum; when a slot expires it
 * is subtracted from the sum (exact, since DDSketch bins are counts). A slot is only retired
 * when the rest of the window still holds `minSamples`; otherwise it is folded into the next
 * slot, so quiet keys keep a longer history instead of falling back to the fixed threshold.
 */
export class WindowedQuantile {
  private readonly slots: DDSketch[];
  private readonly total: DDSketch;
  private readonly slotMs: number;
  /** Epoch (now / slotMs) of the newest slot; the newest slot is slots[epoch % n]. */
  private epoch = Number.NaN;
  private cachedThreshold: number | undefined;
  private addsSinceCompute = Number.POSITIVE_INFINITY;

  constructor(private readonly options: WindowedQuantileOptions) {
    this.slotMs = Math.max(1, options.windowMs / options.slots);
    this.slots = Array.from({ length: options.slots }, () => new DDSketch(options.alpha));
    this.total = new DDSketch(options.alpha);
  }

  get count(): number {
    return this.total.count;
  }

  get byteLength(): number {
    let b = this.total.byteLength;
    for (const s of this.slots) b += s.byteLength;
    return b;
  }

  private advance(now: number): void {
    const e = Math.floor(now / this.slotMs);
    if (Number.isNaN(this.epoch)) {
      this.epoch = e;
      return;
    }
    if (e <= this.epoch) return; // same slot, or a clock that went backwards
    const n = this.slots.length;
    const steps = Math.min(e - this.epoch, n);
    for (let s = 1; s <= steps; s++) {
      // The slot that becomes the newest is the oldest one: retire or fold it.
      const oldest = this.slots[(this.epoch + s) % n];
      if (oldest.count > 0) {
        if (this.total.count - oldest.count >= this.options.minSamples) {
          this.total.subtract(oldest);
          oldest.clear();
        } else if (n > 1) {
          // Keep its samples: fold them into the next-oldest slot.
          this.slots[(this.epoch + s + 1) % n].merge(oldest);
          oldest.clear();
        }
      }
    }
    this.epoch = e;
    this.addsSinceCompute = Number.POSITIVE_INFINITY;
  }

  /**
   * The current threshold for quantile `q` (interpolated inside its sketch bin), or undefined
   * while fewer than `minSamples` samples are held. Recomputed on a window rotation and after
   * about 1% new samples.
   */
  threshold(now: number, q: number): number | undefined {
    this.advance(now);
    if (this.total.count < this.options.minSamples) return undefined;
    // Recompute after ~1% new samples (at least 16): one more sample barely moves a high
    // quantile, and the scan is O(bins).
    if (this.addsSinceCompute >= Math.max(16, this.total.count >> 7)) {
      this.cachedThreshold = this.total.quantileInterpolated(q);
      this.addsSinceCompute = 0;
    }
    return this.cachedThreshold;
  }

  add(now: number, value: number): void {
    this.advance(now);
    const n = this.slots.length;
    const bin = this.total.binOf(value); // one logarithm for both sketches
    this.slots[((this.epoch % n) + n) % n].addToBin(bin);
    this.total.addToBin(bin);
    this.addsSinceCompute++;
  }
}

export interface LatencyTrackerOptions extends WindowedQuantileOptions {
  quantile: number;
  maxKeys: number;
  /** Used until a key has `minSamples` samples. */
  fallbackThresholdMs: number;
}

/** The key every latency beyond `maxKeys` distinct keys is tracked under. */
export const OVERFLOW_KEY = '~other';

/** Per-key running latency quantiles (bounded number of keys). */
export class LatencyTracker {
  private readonly keys = new Map<string, WindowedQuantile>();

  constructor(private readonly options: LatencyTrackerOptions) {}

  get keyCount(): number {
    return this.keys.size;
  }

  private sketchFor(key: string): WindowedQuantile {
    let w = this.keys.get(key);
    if (w) return w;
    if (this.keys.size >= this.options.maxKeys) {
      w = this.keys.get(OVERFLOW_KEY);
      if (w) return w;
      key = OVERFLOW_KEY;
    }
    w = new WindowedQuantile(this.options);
    this.keys.set(key, w);
    return w;
  }

  /**
   * Returns the threshold `durationMs` is compared against (read BEFORE the sample is added,
   * so a trace never raises its own bar), then records the sample.
   */
  observe(key: string, durationMs: number, now: number): number {
    const w = this.sketchFor(key);
    const t = w.threshold(now, this.options.quantile);
    w.add(now, durationMs);
    return t ?? this.options.fallbackThresholdMs;
  }

  /** Whether a key has enough samples for its running quantile to be used. */
  isWarm(key: string, now: number): boolean {
    return this.keys.get(key)?.threshold(now, this.options.quantile) !== undefined;
  }

  /** The current threshold for a key without recording anything. */
  peek(key: string, now: number): number {
    const w = this.keys.get(key) ?? this.keys.get(OVERFLOW_KEY);
    return w?.threshold(now, this.options.quantile) ?? this.options.fallbackThresholdMs;
  }

  get byteLength(): number {
    let b = 0;
    for (const w of this.keys.values()) b += w.byteLength;
    return b;
  }
}
