import { type GenAISpan, safely } from '@genai-otel/core';
import { type Context, context } from '@opentelemetry/api';
import { markStreamAbandoned } from './attributes.js';
import { read } from './llm-details.js';
import { isAsyncIterable, traceStream } from './streams.js';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Ends `span` when a workflow run context settles (awaited or iterated). In place. */
export function traceWorkflowRun(run: unknown, span: GenAISpan, ctx: Context): boolean {
  if (!run || typeof run !== 'object' || !Object.isExtensible(run)) return false;
  const then = read(run, 'then');
  if (typeof then !== 'function') return false;
  let done = false;
  const finish = (outcome: {
    value?: unknown;
    error?: unknown;
    abandoned?: boolean;
    endTime?: number;
  }) => {
    if (done) return;
    done = true;
    if (outcome.error !== undefined) span.recordThrown(outcome.error);
    else if (outcome.value !== undefined)
      span.setOutput(read(outcome.value, 'data') ?? outcome.value);
    if (outcome.abandoned) markStreamAbandoned(span);
    span.end(outcome.endTime);
  };
  Object.defineProperty(run, 'then', {
    configurable: true,
    writable: true,
    value: function (
      this: unknown,
      onFulfilled?: (v: unknown) => unknown,
      onRejected?: (e: unknown) => unknown,
    ) {
      return context.with(ctx, () =>
        (then as AnyFn).call(
          this,
          (value: unknown) => {
            safely('llamaindex workflow end', () => finish({ value }));
            return onFulfilled ? onFulfilled(value) : value;
          },
          (error: unknown) => {
            safely('llamaindex workflow error', () => finish({ error }));
            if (onRejected) return onRejected(error);
            throw error;
          },
        ),
      );
    },
  });
  if (isAsyncIterable(run)) {
    traceStream(run, {
      context: ctx,
      onEnd: (outcome) =>
        finish({ error: outcome.error, abandoned: outcome.abandoned, endTime: outcome.endTime }),
    });
  }
  return true;
}
