export interface RateControllerOptions {
  /** Kept baseline traces per second to aim for. */
  targetPerSecond: number;
  minRate: number;
  maxRate: number;
  /** Length of one measurement interval, in ms. */
  intervalMs: number;
  /** Weight of the newest interval in the moving average (0..1]. */
  emaWeight: number;
  /** Largest factor the probability may grow by in one interval (decreases apply at once). */
  maxIncreaseFactor: number;
  /** Probability used before the first interval completes. */
  initialRate: number;
}

/** Length of the short windows used to detect bursts, ms. */
const SHORT_WINDOW_MS = 1000;
/** A short window is a burst when it runs this many times above the average... */
const BURST_FACTOR = 2;
/** ...and holds at least this many arrivals (so Poisson noise at low rates is no burst). */
const BURST_MIN_COUNT = 10;

/**
 * Adapts the baseline probability so that `rate * arrivals/s ~= target`.
 *
 * Steady state works like Jaeger's adaptive sampler: arrivals are counted per interval and
 * smoothed with an exponential moving average; the probability becomes `target / ema`,
 * clamped to `[minRate, maxRate]`, rising by at most `maxIncreaseFactor` per interval and
 * falling at once.
 *
 * Bursts are handled separately, per one-second window: a window running more than twice the
 * average (and with enough arrivals to mean it) lowers the probability at once to
 * `target / burstRate`, without entering the average. When the burst ends, the steady
 * probability applies again immediately, so a short spike neither floods the exporter nor
 * leaves a long trough behind it. A burst that lasts a whole interval is a new normal: it
 * replaces the average.
 */
export class RateController {
  private base: number;
  private ema: number | undefined;
  private _updates = 0;
  // Long interval: arrivals and duration of its non-burst windows.
  private intervalStart = Number.NaN;
  private intervalCount = 0;
  private intervalNormalMs = 0;
  // Current short window.
  private shortStart = Number.NaN;
  private shortCount = 0;
  // Active burst.
  private burstSince = Number.NaN;
  private burstRate = 0;

  constructor(private readonly options: RateControllerOptions) {
    this.base = clamp(options.initialRate, options.minRate, options.maxRate);
  }

  /** The current baseline probability. */
  get rate(): number {
    if (this.burstRate > 0) {
      const p = this.options.targetPerSecond / this.burstRate;
      if (p < this.base) return clamp(p, this.options.minRate, this.options.maxRate);
    }
    return this.base;
  }

  /** Smoothed arrivals per second (undefined before the first interval ends). */
  get arrivalsPerSecond(): number | undefined {
    return this.ema;
  }

  /** Whether a burst is currently overriding the steady probability. */
  get inBurst(): boolean {
    return this.burstRate > 0;
  }

  get updates(): number {
    return this._updates;
  }

  /** Advances the clocks; call with the current time. Returns the current probability. */
  tick(now: number): number {
    if (Number.isNaN(this.intervalStart)) {
      this.intervalStart = now;
      this.shortStart = now;
      return this.rate;
    }
    if (now - this.shortStart >= SHORT_WINDOW_MS) this.closeShortWindow(now);
    if (now - this.intervalStart >= this.options.intervalMs) this.closeInterval(now);
    return this.rate;
  }

  /** Counts one baseline candidate at `now` and returns the probability to apply to it. */
  observe(now: number): number {
    const p = this.tick(now);
    this.shortCount++;
    return p;
  }

  private closeShortWindow(now: number): void {
    const elapsed = now - this.shortStart;
    const count = this.shortCount;
    this.shortStart = now;
    this.shortCount = 0;
    const r = (count * 1000) / elapsed;
    if (this.ema !== undefined && count >= BURST_MIN_COUNT && r > BURST_FACTOR * this.ema) {
      if (Number.isNaN(this.burstSince)) this.burstSince = now - elapsed;
      this.burstRate = r;
      if (now - this.burstSince >= this.options.intervalMs) {
        // Sustained for a whole interval: this is the new normal.
        this.ema = r;
        this.setBase(this.options.targetPerSecond / r);
        this.endBurst();
        this.intervalStart = now;
        this.intervalCount = 0;
        this.intervalNormalMs = 0;
      }
      return;
    }
    this.endBurst();
    this.intervalCount += count;
    this.intervalNormalMs += elapsed;
  }

  private endBurst(): void {
    this.burstSince = Number.NaN;
    this.burstRate = 0;
  }

  private closeInterval(now: number): void {
    const o = this.options;
    const ms = this.intervalNormalMs;
    this.intervalStart = now;
    if (ms <= 0) return; // all burst so far: keep waiting for it to end or to last
    const observed = (this.intervalCount * 1000) / ms;
    this.intervalCount = 0;
    this.intervalNormalMs = 0;
    this.ema =
      this.ema === undefined ? observed : o.emaWeight * observed + (1 - o.emaWeight) * this.ema;
    this.setBase(this.ema > 0 ? o.targetPerSecond / this.ema : Number.POSITIVE_INFINITY);
  }

  private setBase(next: number): void {
    const o = this.options;
    const cap = this.base * o.maxIncreaseFactor;
    this.base = clamp(Math.min(next, cap), o.minRate, o.maxRate);
    this._updates++;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}
