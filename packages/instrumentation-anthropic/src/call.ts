/**
 * One traced API call: its GenAI span, and how the span learns the call's outcome from the
 * `APIPromise` the SDK returns, without changing that promise's type or behaviour.
 *
 * An `APIPromise` is lazy: its body is parsed only when the application awaits it (`then`,
 * `withResponse()`), or not at all (`asResponse()`). So we never call `then` on it (that would
 * consume the body). Instead we wrap three of its own fields, which every SDK version since
 * 0.50 reads through `this`:
 * - `responsePromise` (the HTTP response after retries, or the final error): status code,
 *   request id, and failures;
 * - `parseResponse` (body -> Message or Stream): the result, or the stream to observe;
 * - `asResponse()`: when the application takes the raw response before any parse began, the
 *   span ends there (it cannot see the body).
 */
import {
  ATTR_GEN_AI_OUTPUT_TYPE,
  GEN_AI_PROVIDER,
  type GenAISpan,
  type GenAITelemetry,
  normalizeFinishReason,
  safely,
} from '@genai-otel/core';
import type { Context } from '@opentelemetry/api';
import { type AttemptCounter, withAttemptCounter } from './attempts.js';
import {
  ATTR_ANTHROPIC_BETA,
  ATTR_ANTHROPIC_REQUEST_ID,
  ATTR_ANTHROPIC_REQUEST_SERVICE_TIER,
  ATTR_ANTHROPIC_STOP_REASON,
  ATTR_ANTHROPIC_THINKING_BUDGET_TOKENS,
  ATTR_ANTHROPIC_THINKING_TYPE,
  ATTR_GENAI_OTEL_CANCELLED,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from './attributes.js';
import {
  inputMessages,
  outputMessage,
  outputType,
  promptMessages,
  requestDetails,
  serverOf,
  systemInstructions,
  toolDefinitions,
  usageExtras,
  usageOf,
} from './convert.js';
import { anthropicErrorType, errorRequestId, errorStatus } from './errors.js';
import { isSdkStream, MessageAccumulator, observeStream, type StreamEnd } from './stream.js';

type Obj = Record<string, any>;

/**
 * Best effort for results the application drops unread, so that their span is exported rather
 * than silently lost. The held value never references the watched object.
 * - A Stream never iterated, or an iterator abandoned mid-way: the span ends as cancelled when
 *   it is garbage-collected.
 * - An APIPromise never awaited: its collection alone proves nothing (SDKs before 0.50 parse
 *   with `responsePromise.then(this.parseResponse)`, which does not keep the promise alive
 *   while the body is awaited). So collection only marks it; the span ends once the response
 *   has arrived and a macrotask later no parse has started.
 * Either way the span ends at the call's last observed activity (the response's arrival, the
 * last event read), not when the collector happened to run: a GC can come seconds or minutes
 * later, and that time would inflate the span, the duration metric and latency-based sampling.
 */
interface Watched {
  call: AnthropicCall;
  kind: 'promise' | 'stream';
}
/** Marks a `props.retry` this instrumentation already wraps. */
const RESEND_WATCHED = Symbol.for('genai-otel.anthropic.resend-watched');

const abandoned =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<Watched>(({ call, kind }) => call.abandon(kind))
    : undefined;

export type CallOperation = 'chat' | 'text_completion';

export interface CallSpec {
  operation: CallOperation;
  params: Obj;
  /** The SDK client (`resource._client`), for its base URL. */
  client: Obj | undefined;
}

export class AnthropicCall {
  readonly span: GenAISpan;
  readonly context: Context;
  private readonly counter: AttemptCounter = { attempts: 0 };
  private readonly streamed: boolean;
  private parseStarted = false;
  private responseArrived = false;
  private promiseDropped = false;
  /** Resends the SDK began after a failed parse (see {@link watchResend}). */
  private resendsStarted = 0;
  /** Epoch ms of the last thing seen of this call (start, response, an event read). */
  private lastActivityMs = Date.now();
  /** Unregister tokens of what {@link abandoned} watches for this call. */
  private readonly watchTokens: object[] = [];

  constructor(
    telemetry: GenAITelemetry,
    private readonly spec: CallSpec,
  ) {
    const { params, client } = spec;
    const request = requestDetails(params);
    const server = serverOf(client?.baseURL);
    this.streamed = request.stream === true;
    this.span = telemetry.startSpan({
      kind: 'LLM',
      operation: spec.operation,
      name: request.model,
      provider: GEN_AI_PROVIDER.ANTHROPIC,
      attributes: {
        ...(server.serverAddress ? { 'server.address': server.serverAddress } : {}),
        ...(server.serverPort ? { 'server.port': server.serverPort } : {}),
      },
    });
    this.context = withAttemptCounter(this.span.context, this.counter);
    safely('anthropic request attributes', () => this.recordRequest(request, server));
  }

  private recordRequest(
    request: ReturnType<typeof requestDetails>,
    server: ReturnType<typeof serverOf>,
  ): void {
    const { params } = this.spec;
    const s = this.span;
    s.setRequest({ ...request, ...server });
    s.setAttribute(ATTR_GEN_AI_OUTPUT_TYPE, outputType(params));
    if (typeof params.service_tier === 'string')
      s.setAttribute(ATTR_ANTHROPIC_REQUEST_SERVICE_TIER, params.service_tier.slice(0, 64));
    if (Array.isArray(params.betas)) {
      const betas = params.betas.filter((b: unknown) => typeof b === 'string').slice(0, 16);
      if (betas.length > 0) s.setAttribute(ATTR_ANTHROPIC_BETA, betas);
    }
    const thinking = params.thinking;
    if (thinking && typeof thinking === 'object') {
      if (typeof thinking.type === 'string')
        s.setAttribute(ATTR_ANTHROPIC_THINKING_TYPE, thinking.type.slice(0, 64));
      if (typeof thinking.budget_tokens === 'number')
        s.setAttribute(ATTR_ANTHROPIC_THINKING_BUDGET_TOKENS, thinking.budget_tokens);
    }
    if (!s.policy.enabled) return;
    if (this.spec.operation === 'text_completion') {
      s.setInputMessages(promptMessages(params.prompt));
      return;
    }
    const system = systemInstructions(params.system);
    if (system) s.setSystemInstructions(system);
    s.setInputMessages(inputMessages(params.messages));
    const tools = toolDefinitions(params.tools);
    if (tools) s.setToolDefinitions(tools);
  }

  private watch(target: object, kind: Watched['kind']): object {
    const token = {};
    safely('anthropic watch', () => {
      abandoned?.register(target, { call: this, kind }, token);
      this.watchTokens.push(token);
    });
    return token;
  }

  private unwatch(token: object | undefined): void {
    if (token) safely('anthropic unwatch', () => abandoned?.unregister(token));
  }

  /** A watched result was garbage-collected (see {@link abandoned}). */
  abandon(kind: Watched['kind']): void {
    if (this.span.isEnded) return;
    if (kind === 'stream') {
      this.span.setAttribute(ATTR_GENAI_OTEL_CANCELLED, true);
      this.end(this.lastActivityMs);
      return;
    }
    if (this.parseStarted) return;
    this.promiseDropped = true;
    if (this.responseArrived) this.endIfUnparsed();
  }

  /** Ends a call whose promise was dropped, unless a parse started meanwhile. */
  private endIfUnparsed(): void {
    setImmediate(() => {
      if (!this.parseStarted) this.end(this.lastActivityMs);
    });
  }

  /** Follows the value `create()` returned; returns it unchanged. */
  track<T>(result: T): T {
    safely('anthropic track', () => this.trackUnsafe(result));
    return result;
  }

  private trackUnsafe(result: unknown): void {
    const p = result as Obj;
    if (
      p &&
      typeof p === 'object' &&
      typeof p.then === 'function' &&
      p.responsePromise &&
      typeof p.responsePromise.then === 'function' &&
      typeof p.parseResponse === 'function'
    ) {
      this.instrumentApiPromise(p);
      return;
    }
    if (p && typeof p.then === 'function') {
      // Not an APIPromise (unexpected SDK shape): a plain promise can be observed safely.
      Promise.resolve(p).then(
        (data) => this.onData(data),
        (err) => this.fail(err),
      );
      return;
    }
    this.onData(result);
  }

  private instrumentApiPromise(p: Obj): void {
    const call = this;
    const promiseToken = this.watch(p, 'promise');
    p.responsePromise = this.followResponse(p.responsePromise as Promise<Obj>);
    const parseResponse = p.parseResponse as (...a: unknown[]) => unknown;
    p.parseResponse = function (this: unknown, ...args: unknown[]) {
      call.parseStarted = true;
      call.unwatch(promiseToken);
      // (client, props): props.retry, where the SDK has it, sends the request again.
      const props = args[1] as Obj | undefined;
      safely('anthropic resend watch', () => call.watchResend(props));
      let out: unknown;
      try {
        out = parseResponse.apply(this, args);
      } catch (err) {
        call.parseFailed(err, props);
        throw err;
      }
      return Promise.resolve(out).then(
        (data) => {
          call.onData(data);
          return data;
        },
        (err) => {
          call.parseFailed(err, props);
          throw err;
        },
      );
    };
    const asResponse = p.asResponse as ((...a: unknown[]) => Promise<unknown>) | undefined;
    if (typeof asResponse === 'function') {
      p.asResponse = function (this: unknown, ...args: unknown[]) {
        call.unwatch(promiseToken);
        const r = asResponse.apply(this, args);
        if (!r || typeof (r as Promise<unknown>).then !== 'function') return r;
        return (r as Promise<unknown>).then((response) => {
          // The application reads the raw body itself: the span cannot see it.
          if (!call.parseStarted) call.end();
          return response;
        });
      };
    }
  }

  /**
   * SDK >= 1.17 sends a request again when the connection drops while its body is read: the
   * parse fails, then the SDK calls `props.retry()` and parses the new response. The failed
   * parse is then not the call's outcome: the span waits for the resend (see {@link parseFailed}).
   * `props.retry` is replaced on each resend (`Object.assign(props, next)`), so each parse wraps
   * the one it is given.
   */
  watchResend(props: Obj | undefined): void {
    const retry = props?.retry as ((...a: unknown[]) => unknown) | undefined;
    if (
      typeof retry !== 'function' ||
      (retry as unknown as Record<symbol, unknown>)[RESEND_WATCHED]
    )
      return;
    const call = this;
    const watched = function (this: unknown, ...args: unknown[]) {
      call.resendsStarted++;
      let next: unknown;
      try {
        next = retry.apply(this, args);
      } catch (err) {
        call.fail(err);
        throw err;
      }
      if (!next || typeof (next as Promise<unknown>).then !== 'function') return next;
      return call.followResponse(next as Promise<Obj>);
    };
    Object.defineProperty(watched, RESEND_WATCHED, { value: true });
    props!.retry = watched;
  }

  /**
   * A parse failed. Where the SDK may send the request again (`props.retry` is set), it decides
   * right after the failure reaches it (a few microtasks): a macrotask later, unless a resend
   * began meanwhile, the failure is the call's outcome and ends the span at the time it happened.
   */
  parseFailed(err: unknown, props: Obj | undefined): void {
    if (typeof props?.retry !== 'function') {
      this.fail(err);
      return;
    }
    const at = Date.now();
    const resends = this.resendsStarted;
    setImmediate(() => {
      if (this.resendsStarted === resends) this.fail(err, at);
    });
  }

  /**
   * The SDK's response promise (the first request's, or a resend's), passed through: its
   * response props are recorded, its failure fails the call.
   */
  private followResponse(responsePromise: Promise<Obj>): Promise<Obj> {
    return responsePromise.then(
      (props) => {
        safely('anthropic response', () => this.onResponseProps(props));
        return props;
      },
      (err) => {
        this.fail(err);
        throw err;
      },
    );
  }

  private onResponseProps(props: Obj): void {
    this.responseArrived = true;
    this.lastActivityMs = Date.now();
    if (this.promiseDropped) this.endIfUnparsed();
    const response = props?.response;
    if (!response) return;
    if (typeof response.status === 'number')
      this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    const id = response.headers?.get?.('request-id');
    if (typeof id === 'string' && id)
      this.span.setAttribute(ATTR_ANTHROPIC_REQUEST_ID, id.slice(0, 256));
  }

  private onData(data: unknown): void {
    if (this.span.isEnded) return;
    const observing = safely(
      'anthropic response data',
      () => {
        if (this.streamed && isSdkStream(data)) {
          const acc = new MessageAccumulator(this.span.policy.enabled, this.span.policy.maxLength);
          let streamToken: object | undefined;
          const observed = observeStream(data as Obj, {
            onEvent: (event) => {
              this.lastActivityMs = Date.now();
              if (acc.add(event)) this.span.markFirstChunk();
            },
            onEnd: (end) => this.finishStream(acc, end),
            onIterate: (iterator) => {
              this.lastActivityMs = Date.now();
              // From here whoever reads holds the iterator (a for-await loop, tee(), a helper).
              this.unwatch(streamToken);
              this.watch(iterator, 'stream');
            },
          });
          if (observed) {
            streamToken = this.watch(data as object, 'stream');
            return true;
          }
        }
        this.finishResponse(data as Obj);
        return false;
      },
      false,
    );
    if (!observing) this.end();
  }

  private finishResponse(data: Obj): void {
    if (!data || typeof data !== 'object') return;
    const stop = normalizeFinishReason(data.stop_reason);
    this.span.setResponse({
      id: data.id,
      model: data.model,
      finishReasons: stop ? [stop] : undefined,
    });
    if (typeof data.stop_reason === 'string')
      this.span.setAttribute(ATTR_ANTHROPIC_STOP_REASON, data.stop_reason.slice(0, 64));
    if (typeof data._request_id === 'string')
      this.span.setAttribute(ATTR_ANTHROPIC_REQUEST_ID, data._request_id.slice(0, 256));
    const usage = usageOf(data.usage);
    if (usage) this.span.setUsage(usage);
    this.span.setAttributes(usageExtras(data.usage));
    if (this.span.policy.enabled) {
      const content =
        this.spec.operation === 'text_completion'
          ? typeof data.completion === 'string'
            ? [{ type: 'text', text: data.completion }]
            : []
          : data.content;
      this.span.setOutputMessages([outputMessage(content, stop)]);
    }
  }

  private finishStream(acc: MessageAccumulator, end: StreamEnd): void {
    safely('anthropic stream end', () => {
      const complete = acc.sawMessageDelta || acc.sawStop;
      const stop = complete ? normalizeFinishReason(acc.stopReason) : undefined;
      this.span.setResponse({
        id: acc.id,
        model: acc.model,
        finishReasons: stop ? [stop] : undefined,
      });
      if (complete && acc.stopReason)
        this.span.setAttribute(ATTR_ANTHROPIC_STOP_REASON, acc.stopReason.slice(0, 64));
      const usage = usageOf(acc.usage);
      if (usage) {
        // `message_start` carries a placeholder output count: only `message_delta`'s is final.
        if (!acc.sawMessageDelta && this.spec.operation === 'chat') delete usage.outputTokens;
        this.span.setUsage(usage);
      }
      this.span.setAttributes(usageExtras(acc.usage));
      if (this.span.policy.enabled) {
        const content =
          this.spec.operation === 'text_completion'
            ? [{ type: 'text', text: acc.completion }]
            : acc.content();
        const reason = stop ?? (end.reason === 'failed' ? 'error' : (acc.stopReason ?? 'error'));
        this.span.setOutputMessages([outputMessage(content, reason)]);
      }
      if (end.reason === 'failed') {
        this.fail(end.error);
        return;
      }
      if (end.reason === 'cancelled') {
        this.span.setAttribute(ATTR_GENAI_OTEL_CANCELLED, true);
      } else if (!acc.sawStop && this.spec.operation === 'chat') {
        // The server closed the stream without `message_stop`: the app saw no error, the call failed.
        this.span.recordError(
          new Error('The stream ended before message_stop'),
          'incomplete_stream',
        );
      }
    });
    this.end();
  }

  /** The call failed (or was cancelled): record it and end the span (now, or at `endTimeMs`). */
  fail(err: unknown, endTimeMs?: number): void {
    if (this.span.isEnded) return;
    safely('anthropic error', () => {
      const status = errorStatus(err);
      if (status !== undefined) this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      const requestId = errorRequestId(err);
      if (requestId) this.span.setAttribute(ATTR_ANTHROPIC_REQUEST_ID, requestId.slice(0, 256));
      this.span.recordThrown(err, anthropicErrorType(err));
    });
    this.end(endTimeMs);
  }

  /** Ends the span, now or at `endTimeMs` (epoch ms). */
  end(endTimeMs?: number): void {
    if (this.span.isEnded) return;
    for (const token of this.watchTokens.splice(0)) this.unwatch(token);
    if (this.counter.attempts > 1)
      this.span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, this.counter.attempts - 1);
    this.span.end(endTimeMs);
  }
}
