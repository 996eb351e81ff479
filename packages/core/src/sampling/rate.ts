export interface RateControllerOptions {
  /** Kept baseline traces per second to aim for. */
  targetPerSecond: number;
  minRate: number;
  maxRate: number;
  /** Length of one measurement interval, in ms. */
  intervalMs: number;
  /** Weight of the newest interval in the moving average (0..1]. */
  emaWeight: number;
  /** Largest factor the probability may grow by in one step (decreases apply at once). */
  maxIncreaseFactor: number;
  /** Probability used before the first interval completes. */
  initialRate: number;
}

/**
 * Adapts the baseline probability so that `rate * arrivals/s ~= target`, like Jaeger's
 * adaptive sampler: arrivals are counted per interval and smoothed with an exponential moving
 * average; the new probability is `target / ema`, clamped to `[minRate, maxRate]`, and it may
 * rise by at most `maxIncreaseFactor` per interval while falling at once. A burst (arrivals
 * running at more than twice the average for at least a second) triggers an early update, as
 * Refinery's EMA sampler does, so a spike does not flood the exporter for a whole interval.
 */
export class RateController {
  private _rate: number;
  private intervalStart = Number.NaN;
  private count = 0;
  private ema: number | undefined;
  private _updates = 0;

  constructor(private readonly options: RateControllerOptions) {
    this._rate = clamp(options.initialRate, options.minRate, options.maxRate);
  }

  /** The current baseline probability. */
  get rate(): number {
    return this._rate;
  }

  /** Smoothed arrivals per second (undefined before the first interval ends). */
  get arrivalsPerSecond(): number | undefined {
    return this.ema;
  }

  get updates(): number {
    return this._updates;
  }

  /** Advances the interval clock; call with the current time. Returns the current rate. */
  tick(now: number): number {
    if (Number.isNaN(this.intervalStart)) {
      this.intervalStart = now;
      return this._rate;
    }
    const elapsed = now - this.intervalStart;
    if (elapsed >= this.options.intervalMs) this.update(now, elapsed);
    return this._rate;
  }

  /** Counts one baseline candidate at `now` and returns the probability to apply to it. */
  observe(now: number): number {
    this.tick(now);
    this.count++;
    if (this.ema !== undefined && (this.count & 15) === 0) {
      const elapsed = now - this.intervalStart;
      if (elapsed >= 1000 && (this.count * 1000) / elapsed > 2 * this.ema)
        this.update(now, elapsed);
    }
    return this._rate;
  }

  private update(now: number, elapsedMs: number): void {
    const o = this.options;
    const observed = (this.count * 1000) / Math.max(1, elapsedMs);
    // A long idle gap counts as one interval of the observed (low) rate.
    this.ema =
      this.ema === undefined ? observed : o.emaWeight * observed + (1 - o.emaWeight) * this.ema;
    let next: number;
    if (this.ema <= 0) {
      next = this._rate * o.maxIncreaseFactor;
    } else {
      next = o.targetPerSecond / this.ema;
      if (next > this._rate * o.maxIncreaseFactor) next = this._rate * o.maxIncreaseFactor;
    }
    this._rate = clamp(next, o.minRate, o.maxRate);
    this.intervalStart = now;
    this.count = 0;
    this._updates++;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}
