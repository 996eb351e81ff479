/**
 * Native tracing of `@anthropic-ai/sdk` 0.137+ / 1.x, and how we stand in for it.
 *
 * Those SDKs start a CLIENT span per API call unless the call's request options already carry
 * one (`options.__span`, an object `{ span, name, startTime }` that the SDK's stream helpers use
 * to share one span between `stream()` and the `create()` it makes). We pass such a "call" whose
 * `span` is a {@link ProxySpan} bound to our GenAI span: the SDK then records on our span and
 * starts none of its own. The proxy
 * - exposes our span's context, so trace headers the SDK injects and HTTP client spans made
 *   while the SDK keeps it active point at our span;
 * - lets through only the SDK's HTTP and `anthropic.*` metadata attributes (status code,
 *   request id, url, service tier...), never its `gen_ai.*` attributes (ours are complete and
 *   follow our content policy) nor content;
 * - ignores `setStatus`, `recordException`, `end` and events: our span's lifecycle is ours.
 */

import { safely } from '@genai-otel/core';
import {
  type Attributes,
  type AttributeValue,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';

/** SDK attributes allowed onto our span. Anything else the SDK sets is dropped. */
const ALLOWED = new Set([
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.scheme',
  'url.path',
  'url.full',
  'anthropic.request.id',
  'anthropic.organization.id',
  'anthropic.workspace.id',
  'anthropic.beta',
  'anthropic.request.service_tier',
  'anthropic.response.service_tier',
  'anthropic.thinking.type',
  'anthropic.thinking.budget_tokens',
  'anthropic.usage.cache_creation.ephemeral_5m_input_tokens',
  'anthropic.usage.cache_creation.ephemeral_1h_input_tokens',
  'anthropic.usage.compaction.input_tokens',
  'anthropic.usage.compaction.output_tokens',
  'gen_ai.request.reasoning.level',
  'gen_ai.output.type',
]);

const OURS = Symbol.for('genai-otel.anthropic.native-call');

export class ProxySpan implements Span {
  private target: Span | undefined;

  bind(span: Span): void {
    this.target = span;
  }

  get bound(): boolean {
    return this.target !== undefined;
  }

  // The SDK calls these inside the user's request: each forward is guarded so that a broken
  // span (or tracer) can never make the user's call fail.
  spanContext(): SpanContext {
    return (
      safely('native span context', () => this.target?.spanContext(), undefined) ??
      INVALID_SPAN_CONTEXT
    );
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.target && ALLOWED.has(key))
      safely('native span attribute', () => this.target?.setAttribute(key, value));
    return this;
  }

  setAttributes(attributes: Attributes): this {
    safely('native span attributes', () => {
      for (const [k, v] of Object.entries(attributes ?? {})) {
        if (v !== undefined) this.setAttribute(k, v);
      }
    });
    return this;
  }

  addEvent(
    _name: string,
    _attributesOrStartTime?: Attributes | TimeInput,
    _startTime?: TimeInput,
  ): this {
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(_status: SpanStatus): this {
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(_endTime?: TimeInput): void {}

  isRecording(): boolean {
    return safely('native span isRecording', () => this.target?.isRecording() === true, false);
  }

  recordException(_exception: unknown, _time?: TimeInput): void {}
}

/** The `__span` "call" object we hand to the SDK. */
export interface NativeCall {
  span: ProxySpan;
  /** Not a name in the SDK's attribute tables: it records only generic HTTP facts on us. */
  name: string;
  startTime: number;
  [OURS]: true;
  [k: string]: unknown;
}

export function createNativeCall(): NativeCall {
  return {
    span: new ProxySpan(),
    name: 'genai_otel.anthropic.call',
    startTime: Date.now(),
    [OURS]: true,
  };
}

export function isOurNativeCall(v: unknown): v is NativeCall {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[OURS] === true;
}

/** Does this client (the resource's `_client`) trace itself? */
export function tracesItself(client: unknown): boolean {
  try {
    return !!(client as Record<string, unknown> | undefined)?._tracer;
  } catch {
    return false;
  }
}
