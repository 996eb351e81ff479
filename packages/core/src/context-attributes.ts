import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  propagation,
  type Span,
} from '@opentelemetry/api';
import { logSwallowed } from './guard.js';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GENAI_OTEL_METADATA_PREFIX,
  ATTR_GENAI_OTEL_TAGS,
  ATTR_SESSION_ID,
  ATTR_USER_ID,
} from './semconv.js';
import { safeStringify } from './serialize.js';

/** Request-scoped attributes set by the application. */
export interface GenAIContextValues {
  conversationId?: string;
  userId?: string;
  sessionId?: string;
  /** Small, low-cardinality key/values; recorded as `genai_otel.metadata.<key>`. */
  metadata?: Record<string, string | number | boolean>;
  /** Labels for the request; recorded as `genai_otel.tags` (string[]). */
  tags?: string[];
}

const GENAI_CONTEXT_KEY = createContextKey('genai-otel context attributes');

/** Baggage keys written by {@link withGenAIContext}, and allowed by default onto spans. */
export const GENAI_BAGGAGE_KEYS = {
  conversationId: ATTR_GEN_AI_CONVERSATION_ID,
  userId: ATTR_USER_ID,
  sessionId: ATTR_SESSION_ID,
} as const;

const MAX_METADATA_ENTRIES = 32;
const MAX_TAGS = 32;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;

/** The attributes that {@link withGenAIContext} placed in `ctx` (empty when none). */
export function getGenAIContextAttributes(ctx: Context = context.active()): Attributes | undefined {
  return ctx.getValue(GENAI_CONTEXT_KEY) as Attributes | undefined;
}

/**
 * Runs `fn` with conversation/user/session ids and metadata attached to every span started
 * inside it (ours directly; any other instrumentation's through {@link GenAIContextSpanProcessor}),
 * and with the ids added to W3C baggage so they reach downstream services.
 * Nested calls merge, the inner values winning (tags accumulate). Requires a context manager
 * (the Node SDK installs one). If building the context fails, `fn` still runs, exactly once.
 */
export function withGenAIContext<T>(values: GenAIContextValues, fn: () => T): T {
  let ctx: Context | undefined;
  try {
    ctx = buildContext(context.active(), values);
  } catch (err) {
    // Our failure must not stop the user's work: run fn without the attributes.
    logSwallowed('withGenAIContext', err);
  }
  return ctx ? context.with(ctx, fn) : fn();
}

function buildContext(parent: Context, values: GenAIContextValues): Context {
  const attrs: Attributes = { ...getGenAIContextAttributes(parent) };
  let baggage = propagation.getBaggage(parent) ?? propagation.createBaggage();
  for (const [field, key] of Object.entries(GENAI_BAGGAGE_KEYS)) {
    const raw = values?.[field as keyof typeof GENAI_BAGGAGE_KEYS];
    if (raw === undefined || raw === null) continue;
    const value = String(raw).slice(0, MAX_VALUE_LENGTH);
    if (value === '') continue;
    attrs[key] = value;
    baggage = baggage.setEntry(key, { value });
  }
  const metadata = values?.metadata;
  if (metadata && typeof metadata === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(metadata)) {
      if (n++ >= MAX_METADATA_ENTRIES) break;
      attrs[ATTR_GENAI_OTEL_METADATA_PREFIX + k.slice(0, MAX_KEY_LENGTH)] =
        typeof v === 'string'
          ? v.slice(0, MAX_VALUE_LENGTH)
          : typeof v === 'number' || typeof v === 'boolean'
            ? v
            : safeStringify(v, { maxLength: MAX_VALUE_LENGTH });
    }
  }
  if (Array.isArray(values?.tags)) {
    const previous = attrs[ATTR_GENAI_OTEL_TAGS];
    const tags = new Set<string>(Array.isArray(previous) ? (previous as string[]) : []);
    for (const t of values.tags.slice(0, MAX_TAGS)) {
      if (t !== undefined && t !== null && tags.size < MAX_TAGS)
        tags.add(String(t).slice(0, MAX_VALUE_LENGTH));
    }
    attrs[ATTR_GENAI_OTEL_TAGS] = [...tags];
  }
  return propagation.setBaggage(parent.setValue(GENAI_CONTEXT_KEY, attrs), baggage);
}

/** Copies the context attributes of `ctx` onto `span`. */
export function applyGenAIContextAttributes(span: Span, ctx: Context): void {
  try {
    const attrs = getGenAIContextAttributes(ctx);
    if (attrs) span.setAttributes(attrs);
  } catch (err) {
    logSwallowed('applyGenAIContextAttributes', err);
  }
}

export interface GenAIContextSpanProcessorOptions {
  /**
   * Baggage keys copied onto spans. Baggage arrives from upstream callers and is untrusted:
   * only these keys are ever copied. Default: the keys {@link withGenAIContext} writes.
   */
  baggageKeys?: readonly string[];
  /** Maximum length of a copied baggage value (default 256). */
  maxValueLength?: number;
}

/**
 * A span processor that stamps every span (from any instrumentation) with the attributes of
 * {@link withGenAIContext} and with an allowlist of baggage entries. Structural typing keeps
 * it independent of the SDK line (2.x and 3.x processors have the same shape).
 */
export class GenAIContextSpanProcessor {
  private readonly allow: ReadonlySet<string>;
  private readonly maxValueLength: number;

  constructor(options: GenAIContextSpanProcessorOptions = {}) {
    this.allow = new Set(options.baggageKeys ?? Object.values(GENAI_BAGGAGE_KEYS));
    this.maxValueLength = options.maxValueLength ?? MAX_VALUE_LENGTH;
  }

  onStart(span: Span, parentContext: Context): void {
    try {
      const baggage = propagation.getBaggage(parentContext);
      if (baggage && this.allow.size > 0) {
        for (const [key, entry] of baggage.getAllEntries()) {
          if (this.allow.has(key))
            span.setAttribute(key, String(entry.value).slice(0, this.maxValueLength));
        }
      }
      // In-process values win over baggage with the same key (baggage may be forged upstream).
      applyGenAIContextAttributes(span, parentContext);
    } catch (err) {
      logSwallowed('GenAIContextSpanProcessor.onStart', err); // never disturb span creation
    }
  }

  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
