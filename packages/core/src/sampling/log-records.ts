/**
 * Log records that follow their trace's tail-sampling decision.
 *
 * A GenAI content event (`gen_ai.client.inference.operation.details`) is a log record emitted
 * when its span ends, before the tail sampler has decided the trace. Exported at once, it would
 * ship the prompts and completions of every trace, while the spans of only a few per cent are
 * kept: the wrong volume, and content the user kept out of their traces on purpose. This
 * processor sits in the logs pipeline in front of the exporting processor and hands matching
 * records to the sampler, which holds them with their trace and releases them with its
 * decision: forwarded when the trace is kept, dropped (and counted) when it is not.
 */
import { type Context, trace } from '@opentelemetry/api';
import { logSwallowed } from '../guard.js';
import type { LogRecordProcessorLike, TraceSampledLogsOptions } from './types.js';

const SAMPLED = 1;

/** What the sampler offers the log records processor (internal to core). */
export interface LogRecordHolder {
  /**
   * Takes a record of a sampled trace: `true` when it is held (until the trace is decided) or
   * dropped (its trace was dropped); `false` when the caller forwards it now.
   */
  holdLogRecord(
    gate: TraceSampledLogRecordProcessor,
    traceId: string,
    logRecord: unknown,
    context: Context | undefined,
  ): boolean;
  /** Decides every buffered trace now (releasing their records). */
  decideAllBuffered(): void;
}

/** The default `match`: GenAI events (whose content is what tail sampling must not leak). */
export function isGenAIEvent(logRecord: any): boolean {
  const name = logRecord?.eventName;
  return typeof name === 'string' && name.startsWith('gen_ai.');
}

/**
 * A LogRecordProcessor (for either logs SDK line) that forwards matching log records to `next`
 * only when their trace is kept. Made by `AdaptiveSamplingSpanProcessor.logRecordProcessor()`.
 */
export class TraceSampledLogRecordProcessor implements LogRecordProcessorLike {
  private readonly match: (logRecord: any) => boolean;
  private closed = false;

  constructor(
    private readonly holder: LogRecordHolder,
    private readonly next: LogRecordProcessorLike,
    options: TraceSampledLogsOptions = {},
  ) {
    if (typeof next?.onEmit !== 'function')
      throw new TypeError('logRecordProcessor: `next` log record processor is required');
    this.match = options.match ?? isGenAIEvent;
  }

  onEmit(logRecord: any, context?: Context): void {
    let held = false;
    try {
      if (!this.closed && this.match(logRecord)) {
        const sc = logRecord.spanContext ?? (context ? trace.getSpanContext(context) : undefined);
        if (sc !== undefined && (sc.traceFlags & SAMPLED) !== 0)
          held = this.holder.holdLogRecord(this, sc.traceId, logRecord, context);
      }
    } catch (err) {
      logSwallowed('sampling: log record', err); // forwarded: never lose a record to a bug of ours
    }
    if (!held) this.forward(logRecord, context);
  }

  /** Hands a record on (now, or when its trace is kept). */
  forward(logRecord: unknown, context: Context | undefined): void {
    try {
      this.next.onEmit(logRecord, context);
    } catch (err) {
      logSwallowed('sampling: next.onEmit', err);
    }
  }

  enabled(options: unknown): boolean {
    try {
      return this.next.enabled ? this.next.enabled(options) : true;
    } catch (err) {
      logSwallowed('sampling: next.enabled', err);
      return true;
    }
  }

  /**
   * Decides the traces still buffered, so that their records are released, then flushes
   * `next` (as the sampler's own `forceFlush` does for spans).
   */
  async forceFlush(): Promise<void> {
    this.release();
    await this.next.forceFlush();
  }

  async shutdown(): Promise<void> {
    this.release();
    this.closed = true;
    await this.next.shutdown();
  }

  private release(): void {
    try {
      this.holder.decideAllBuffered();
    } catch (err) {
      logSwallowed('sampling: log flush', err);
    }
  }
}
