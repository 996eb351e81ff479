import type {
  Attributes,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
  TraceState,
} from '@opentelemetry/api';
import type { ReadableSpanLike } from './types.js';

/**
 * A finished span as we forward it: every `ReadableSpan` field of the original (which is
 * read-only once ended), with extra attributes merged in and, optionally, a new trace state
 * in `spanContext()` (OTLP exporters write it as the span's `trace_state`). Fields are copied
 * as own properties so exporters that read, spread or serialise them see the same thing.
 */
export class ForwardedSpan implements ReadableSpanLike {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext?: SpanContext;
  readonly parentSpanId?: string;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: unknown[];
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: any;
  readonly instrumentationScope: any;
  readonly instrumentationLibrary?: any;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  private readonly _spanContext: SpanContext;

  constructor(original: ReadableSpanLike, extra: Attributes, traceState: TraceState | undefined) {
    const o = original as ReadableSpanLike & { instrumentationLibrary?: unknown };
    this.name = o.name;
    this.kind = o.kind;
    if (o.parentSpanContext !== undefined) this.parentSpanContext = o.parentSpanContext;
    if (o.parentSpanId !== undefined) this.parentSpanId = o.parentSpanId;
    this.startTime = o.startTime;
    this.endTime = o.endTime;
    this.status = o.status;
    this.attributes = mergeAttributes(o.attributes, extra);
    this.links = o.links;
    this.events = o.events;
    this.duration = o.duration;
    this.ended = o.ended;
    this.resource = o.resource;
    this.instrumentationScope = o.instrumentationScope;
    if (o.instrumentationLibrary !== undefined)
      this.instrumentationLibrary = o.instrumentationLibrary;
    this.droppedAttributesCount = o.droppedAttributesCount ?? 0;
    this.droppedEventsCount = o.droppedEventsCount ?? 0;
    this.droppedLinksCount = o.droppedLinksCount ?? 0;
    const sc = o.spanContext();
    this._spanContext = traceState === undefined ? sc : { ...sc, traceState };
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }
}

/**
 * `{ ...base, ...extra }`, written with `Object.assign`: V8 gives an object spread of a
 * span's attributes a large backing store (~700 bytes here against ~60), and this runs for
 * every kept span. A `__proto__` attribute key (which `Object.assign` would turn into a
 * prototype change) is copied as the own property a spread makes.
 */
export function mergeAttributes(base: Attributes | undefined, extra: Attributes): Attributes {
  const out: Attributes = {};
  if (base) {
    if (Object.hasOwn(base, '__proto__')) {
      // Rare (a hostile attribute key): define every key, so that no value (an array value,
      // say) ever becomes the prototype of the copy.
      for (const key of Object.keys(base)) {
        Object.defineProperty(out, key, {
          value: Object.getOwnPropertyDescriptor(base, key)?.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    } else {
      Object.assign(out, base);
    }
  }
  return Object.assign(out, extra);
}
