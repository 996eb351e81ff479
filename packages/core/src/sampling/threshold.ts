/**
 * Consistent probability sampling primitives (OpenTelemetry "tracestate probability
 * sampling", OTEP 235): 56-bit randomness `R`, rejection threshold `T = (1 - p) * 2^56`,
 * keep iff `R >= T`, and the `ot` tracestate member (`th:<hex>`, `rv:<hex>`).
 *
 * 56-bit values are handled as 14-digit lowercase hex strings: for equal-length strings of
 * hex digits, lexicographic order is numeric order, so comparisons are exact without BigInt.
 */
import type { TraceState } from '@opentelemetry/api';

/** Hex digits in a 56-bit value. */
export const RANDOMNESS_HEX_DIGITS = 14;
/** Hex digits of precision we use for thresholds we compute (24 bits: p resolution ~6e-8). */
export const THRESHOLD_PRECISION_HEX_DIGITS = 6;

const PRECISION_SCALE = 16 ** THRESHOLD_PRECISION_HEX_DIGITS;
const HEX_14 = /^[0-9a-f]{14}$/;
const HEX_1_14 = /^[0-9a-f]{1,14}$/;
const ZEROS_14 = '00000000000000';

/** A rejection threshold: keep iff randomness >= `hex14`. */
export interface Threshold {
  /** Threshold as 14 lowercase hex digits (`'00000000000000'` keeps everything). */
  readonly hex14: string;
  /** The `th` value as written in tracestate (trailing zeros removed, `'0'` for keep-all). */
  readonly th: string;
  /** Sampling probability `1 - T / 2^56`. */
  readonly probability: number;
  /** Adjusted count (the number of traces this one represents): `1 / probability`. */
  readonly adjustedCount: number;
}

export const ALWAYS_KEEP: Threshold = Object.freeze({
  hex14: ZEROS_14,
  th: '0',
  probability: 1,
  adjustedCount: 1,
});

function fromHex14(hex14: string): Threshold {
  if (hex14 === ZEROS_14) return ALWAYS_KEEP;
  let th = hex14;
  let end = th.length;
  while (end > 1 && th.charCodeAt(end - 1) === 48 /* '0' */) end--;
  th = th.slice(0, end);
  // 13 leading digits fit a double exactly; the 14th digit is below any useful precision.
  const t = Number.parseInt(hex14.slice(0, 13), 16) / 16 ** 13;
  const probability = 1 - t;
  return { hex14, th, probability, adjustedCount: 1 / probability };
}

const thresholdCache = new Map<number, Threshold>();

/**
 * The threshold for probability `p`, rounded to {@link THRESHOLD_PRECISION_HEX_DIGITS} hex
 * digits. The returned `probability`/`adjustedCount` are those of the rounded threshold, so
 * what we record matches `th` exactly. `p <= 0` gives a threshold nothing passes.
 */
export function thresholdForProbability(p: number): Threshold {
  if (p === lastProbability && lastThreshold !== undefined) return lastThreshold;
  const t = computeThreshold(p);
  lastProbability = p;
  lastThreshold = t;
  return t;
}

/** The last probability asked for and its threshold: consecutive traces mostly share one. */
let lastProbability = Number.NaN;
let lastThreshold: Threshold | undefined;

function computeThreshold(p: number): Threshold {
  if (!(p < 1)) return ALWAYS_KEEP; // also NaN -> keep all (never lose data on bad input)
  if (p <= 0) return NEVER_KEEP;
  let tq = Math.round((1 - p) * PRECISION_SCALE);
  if (tq >= PRECISION_SCALE) tq = PRECISION_SCALE - 1; // smallest non-zero probability
  if (tq <= 0) return ALWAYS_KEEP;
  const cached = thresholdCache.get(tq);
  if (cached) return cached;
  const hex14 = tq
    .toString(16)
    .padStart(THRESHOLD_PRECISION_HEX_DIGITS, '0')
    .padEnd(RANDOMNESS_HEX_DIGITS, '0');
  const result = fromHex14(hex14);
  if (thresholdCache.size > 4096) thresholdCache.clear();
  thresholdCache.set(tq, result);
  return result;
}

/** A threshold above every randomness value (probability 0). Never written to tracestate. */
export const NEVER_KEEP: Threshold = Object.freeze({
  hex14: 'g', // sorts after every hex digit string
  th: '',
  probability: 0,
  adjustedCount: Number.POSITIVE_INFINITY,
});

/** Parses a `th` value (1 to 14 hex digits); `undefined` when malformed. */
export function parseThreshold(th: string | undefined): Threshold | undefined {
  if (th === undefined || !HEX_1_14.test(th)) return undefined;
  return fromHex14(th.padEnd(RANDOMNESS_HEX_DIGITS, '0'));
}

/** The smaller-probability (higher) of two thresholds. */
export function maxThreshold(a: Threshold, b: Threshold): Threshold {
  return a.hex14 >= b.hex14 ? a : b;
}

/** Keep iff randomness >= threshold. */
export function passes(randomness14: string, threshold: Threshold): boolean {
  return randomness14 >= threshold.hex14;
}

/** The parsed `ot` tracestate member. */
export interface OtState {
  th?: string;
  rv?: string;
  /** Other sub-keys (`key:value`), preserved in order when we rewrite the member. */
  rest: string[];
}

/** An empty `ot` member (shared: never mutated). */
export const NO_OT: OtState = Object.freeze({ rest: Object.freeze([]) }) as unknown as OtState;

/** Parses the `ot` member (`th:..;rv:..;other:..`). Never throws. */
export function parseOt(value: string | undefined): OtState {
  const state: OtState = { rest: [] };
  if (!value) return state;
  for (const part of value.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const key = part.slice(0, colon);
    const val = part.slice(colon + 1);
    if (key === 'th') state.th = val;
    else if (key === 'rv') state.rv = val;
    else state.rest.push(part);
  }
  return state;
}

/** Serialises an `ot` member value (`th` first, then `rv`, then the rest); '' when empty. */
export function serializeOt(state: OtState): string {
  const parts: string[] = [];
  if (state.th !== undefined) parts.push(`th:${state.th}`);
  if (state.rv !== undefined) parts.push(`rv:${state.rv}`);
  for (const p of state.rest) parts.push(p);
  return parts.join(';');
}

/**
 * The 56-bit randomness of a trace: explicit `ot=rv` when present and valid (it must never be
 * overwritten), otherwise the low 56 bits of the trace id. `undefined` when neither is usable.
 */
export function randomnessOf(traceId: string, ot?: OtState): string | undefined {
  if (ot?.rv !== undefined && HEX_14.test(ot.rv)) return ot.rv;
  if (traceId.length === 32) {
    const low = traceId.slice(32 - RANDOMNESS_HEX_DIGITS).toLowerCase();
    if (HEX_14.test(low)) return low;
  }
  return undefined;
}

/** A 14-digit randomness value from a uniform [0,1) source (for ids that carry none). */
export function randomnessFromUniform(u: number): string {
  const hi = Math.floor(u * 2 ** 28) & 0xfffffff;
  const lo = Math.floor((u * 2 ** 28 - Math.floor(u * 2 ** 28)) * 2 ** 28) & 0xfffffff;
  return hi.toString(16).padStart(7, '0') + lo.toString(16).padStart(7, '0');
}

/** Reads the `ot` member of a TraceState (never throws). */
export function otOf(traceState: TraceState | undefined): OtState {
  if (!traceState) return { rest: [] };
  try {
    return parseOt(traceState.get('ot'));
  } catch {
    return { rest: [] };
  }
}

/**
 * Returns `traceState` with `ot=th` set to `threshold` (or `th` erased when `threshold` is
 * undefined), keeping `rv` and any other `ot` sub-keys and all other vendors' members.
 */
export function withThreshold(
  traceState: TraceState,
  ot: OtState,
  threshold: Threshold | undefined,
): TraceState {
  const next: OtState = { th: threshold?.th || undefined, rv: ot.rv, rest: ot.rest };
  const value = serializeOt(next);
  return value ? traceState.set('ot', value) : traceState.unset('ot');
}

/**
 * `passes(randomnessOf(traceId, ot), threshold)` without allocating: compares the low 56 bits
 * of the trace id (or a valid `ot=rv`) with the threshold digit by digit. `undefined` when
 * neither carries usable randomness.
 */
export function traceIdPasses(
  traceId: string,
  ot: OtState | undefined,
  threshold: Threshold,
): boolean | undefined {
  if (ot?.rv !== undefined && HEX_14.test(ot.rv)) return ot.rv >= threshold.hex14;
  if (traceId.length !== 32) return undefined;
  const t = threshold.hex14;
  let cmp = 0;
  for (let i = 0; i < RANDOMNESS_HEX_DIGITS; i++) {
    let c = traceId.charCodeAt(32 - RANDOMNESS_HEX_DIGITS + i);
    if (c >= 65 && c <= 70) c += 32; // A-F: compare as lowercase
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined;
    if (cmp === 0) {
      const tc = i < t.length ? t.charCodeAt(i) : -1;
      if (c !== tc) cmp = c > tc ? 1 : -1;
    }
  }
  return cmp >= 0;
}
