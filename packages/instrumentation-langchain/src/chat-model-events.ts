/**
 * `BaseChatModel.streamEvents(input, options)` without a `version` (LangChain 1.2+): the chat
 * model event protocol (`message-start`, `content-block-delta`, `usage`, `message-finish` ...),
 * returned as a `ChatModelStream` that reads the model eagerly into a replay buffer.
 *
 * LangChain runs this path without callbacks: no callback manager is configured, no run starts,
 * no handler hears of the call, so a callback-based instrumentation records nothing for it. We
 * report the call to our own handler (only ours: the application's callbacks keep hearing
 * nothing, exactly as without us), with the arguments LangChain's callback path passes for the
 * same call, run the model in that run's context (a provider SDK's spans nest under it), and
 * follow the returned stream through its public interface: a second reader of the replay buffer
 * for the first content delta (time to first chunk) and activity, then the assembled message
 * (`await stream`) for usage, finish reason and output. The run ends when the model's stream
 * does (the stream is read to its end whether or not the application reads it), as an error or
 * cancellation if it failed or the call's signal aborted it.
 */
import { randomUUID } from 'node:crypto';
import { logSwallowed } from '@genai-otel/core';
import { context } from '@opentelemetry/api';
import type { GenAICallbackHandler } from './handler.js';

type AnyFn = (...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** What the wrapper needs from the instrumentation, looked up on every call. */
export interface ChatModelEventsHost {
  isEnabled(): boolean;
  readonly handler: GenAICallbackHandler;
}

/** Wraps `BaseChatModel.prototype.streamEvents`. Versioned calls (`v1`/`v2`) pass through. */
export function wrapChatModelStreamEvents(original: Function, host: ChatModelEventsHost): Function {
  return function streamEventsAsRun(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled() || isVersioned(args[1]) || !hasEventProtocol(this))
      return (original as AnyFn).apply(this, args);
    let runId: string | undefined;
    let handler: GenAICallbackHandler | undefined;
    let runContext: ReturnType<GenAICallbackHandler['runContext']>;
    try {
      handler = host.handler;
      runId = startRun(handler, this, args[0], args[1]);
      runContext = runId === undefined ? undefined : handler.runContext(runId);
    } catch (err) {
      logSwallowed('langchain streamEvents start', err);
    }
    if (handler === undefined || runId === undefined || runContext === undefined)
      return (original as AnyFn).apply(this, args);
    let stream: unknown;
    try {
      stream = context.with(runContext, original as AnyFn, this, ...args);
    } catch (err) {
      handler.handleLLMError(err, runId);
      throw err;
    }
    try {
      follow(stream, runId, handler);
    } catch (err) {
      logSwallowed('langchain streamEvents follow', err);
    }
    return stream;
  };
}

/** Only a model with the event protocol (1.2+) runs an unversioned call without callbacks. */
function hasEventProtocol(model: unknown): boolean {
  return typeof (model as Obj | null)?._streamChatModelEvents === 'function';
}

/** `{ version: 'v1' | 'v2' }` is Runnable's callback-driven event stream, traced as any run. */
function isVersioned(options: unknown): boolean {
  if (!isObj(options)) return false;
  const v = options.version;
  return v === 'v1' || v === 'v2';
}

/**
 * Reports the call to the handler as `handleChatModelStart` with what LangChain's own streaming
 * path passes (serialised model, messages, invocation params, `ls_*` metadata, run name). The
 * run id is the call's `runId` option, else a new one (LangChain assigns none here).
 */
function startRun(
  handler: GenAICallbackHandler,
  model: unknown,
  input: unknown,
  options: unknown,
): string | undefined {
  const m = model as Obj;
  const call = (name: string, ...a: unknown[]) =>
    typeof m[name] === 'function' ? (m[name] as AnyFn).apply(m, a) : undefined;
  const split = call('_separateRunnableConfigFromCallOptionsCompat', options);
  const [config, callOptions] = Array.isArray(split) ? split : [undefined, options];
  const cfg = isObj(config) ? config : {};
  const runId = typeof cfg.runId === 'string' && cfg.runId ? cfg.runId : randomUUID();
  const lsParams = call('getLsParamsWithDefaults', callOptions) ?? call('getLsParams', callOptions);
  const metadata = {
    ...(isObj(m.metadata) ? m.metadata : {}),
    ...(isObj(cfg.metadata) ? cfg.metadata : {}),
    ...(isObj(lsParams) ? lsParams : {}),
  };
  const invocationParams =
    call('_getInvocationParamsForTracing', callOptions) ?? call('invocationParams', callOptions);
  const extra = { options: callOptions, invocation_params: invocationParams, batch_size: 1 };
  const ctor = (m as { constructor?: Obj }).constructor;
  const convert = ctor?._convertInputToPromptValue;
  const prompt = typeof convert === 'function' ? (convert as AnyFn).call(ctor, input) : undefined;
  const messages =
    isObj(prompt) && typeof prompt.toChatMessages === 'function'
      ? (prompt.toChatMessages as AnyFn).call(prompt)
      : undefined;
  handler.handleChatModelStart(
    call('toJSON'),
    [messages ?? []],
    runId,
    undefined,
    extra,
    cfg.tags,
    metadata,
    cfg.runName,
  );
  return runId;
}

/**
 * Follows a `ChatModelStream`: every content delta is activity (the first is the first chunk),
 * then the assembled message ends the run. A failed stream (or an aborted signal) fails it.
 */
function follow(stream: unknown, runId: string, handler: GenAICallbackHandler): void {
  const s = stream as Obj | undefined;
  const iterate = (s as { [Symbol.asyncIterator]?: unknown } | undefined)?.[Symbol.asyncIterator];
  if (!s || typeof iterate !== 'function' || typeof s.then !== 'function') {
    // Not the shape we know: end the run now rather than leave it open.
    handler.handleLLMEnd({ generations: [] }, runId);
    return;
  }
  const iterator = (iterate as AnyFn).call(s) as AsyncIterator<unknown>;
  void (async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done) break;
        handler.handleChatModelStreamEvent(step.value, runId);
      }
    } catch (err) {
      handler.handleLLMError(err, runId);
      return;
    }
    // The buffer is complete: awaiting the stream assembles the message from it at once.
    (s.then as AnyFn).call(
      s,
      (message: unknown) => {
        const text = safeText(message);
        handler.handleLLMEnd({ generations: [[{ text, message }]] }, runId);
      },
      (err: unknown) => handler.handleLLMError(err, runId),
    );
  })().catch((err) => logSwallowed('langchain streamEvents follow', err));
}

function safeText(message: unknown): string {
  try {
    const t = (message as Obj | undefined)?.text;
    return typeof t === 'string' ? t : '';
  } catch {
    return '';
  }
}
