/**
 * The export stage of one destination: a bounded queue in front of one exporter, with
 * counters. It behaves like the SDK's BatchSpanProcessor (same defaults) but never blocks,
 * never grows past `maxQueueSize`, keeps at most one export in flight, abandons an export
 * that outlives `exportTimeoutMillis`, and counts every span it drops, so a slow or dead
 * backend costs bounded memory and is visible in {@link ExportStats}.
 */
import { logSwallowed } from '@genai-otel/core';
import { context, diag, TraceFlags } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { BatchOptions, ExportStats, SpanExporterLike, SpanProcessorLike } from './types.js';

const SUCCESS = 0;

export interface ExportProcessorOptions extends BatchOptions {
  name: string;
  /**
   * Hand each span to the exporter synchronously as it ends, without a queue (for in-process
   * exporters such as the console tree, which do not read the resource).
   */
  immediate?: boolean;
}

export class BoundedExportSpanProcessor implements SpanProcessorLike {
  private queue: any[] = [];
  private inFlight: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private warnedFull = false;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly delay: number;
  private readonly timeout: number;
  readonly stats: ExportStats;

  constructor(
    readonly exporter: SpanExporterLike,
    private readonly options: ExportProcessorOptions,
  ) {
    this.maxQueueSize = positive(options.maxQueueSize, envInt('OTEL_BSP_MAX_QUEUE_SIZE', 2048));
    this.maxBatch = Math.min(
      this.maxQueueSize,
      positive(options.maxExportBatchSize, envInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512)),
    );
    this.delay = positive(options.scheduledDelayMillis, envInt('OTEL_BSP_SCHEDULE_DELAY', 1000));
    this.timeout = positive(options.exportTimeoutMillis, envInt('OTEL_BSP_EXPORT_TIMEOUT', 30_000));
    this.stats = {
      name: options.name,
      exported: 0,
      droppedQueueFull: 0,
      droppedExportFailed: 0,
      queued: 0,
      failedExports: 0,
    };
  }

  onStart(): void {}

  onEnd(span: any): void {
    try {
      if (this.stopped) return;
      // Like the SDK processors: spans that are recorded but not sampled are never exported.
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (this.options.immediate) {
        this.exportDirect(span);
        return;
      }
      if (this.queue.length >= this.maxQueueSize) {
        this.stats.droppedQueueFull++;
        if (!this.warnedFull) {
          this.warnedFull = true;
          diag.warn(
            `genai-otel: export queue of "${this.options.name}" is full (${this.maxQueueSize}); dropping spans`,
          );
        }
        return;
      }
      this.queue.push(span);
      this.stats.queued = this.queue.length;
      if (this.queue.length >= this.maxBatch) this.kick();
      else this.arm();
    } catch (err) {
      logSwallowed('export processor onEnd', err);
    }
  }

  async forceFlush(): Promise<void> {
    try {
      // Drain everything queued now (new spans may keep arriving; they wait for the next flush).
      // If an export fails during the flush the backend is down or refusing: the rest of the
      // queue is dropped (and counted) instead of waiting out one timeout per batch, so a
      // flush at exit costs at most about one export timeout.
      const failuresBefore = this.stats.failedExports;
      let rounds = Math.ceil(this.queue.length / this.maxBatch) + 1;
      while ((this.queue.length > 0 || this.inFlight) && rounds-- > 0) {
        if (!this.inFlight) this.kick();
        await this.inFlight;
        if (this.stats.failedExports > failuresBefore && this.queue.length > 0) {
          this.stats.droppedExportFailed += this.queue.length;
          this.queue = [];
          this.stats.queued = 0;
          break;
        }
      }
      await this.exporter.forceFlush?.();
    } catch (err) {
      logSwallowed('export processor forceFlush', err);
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    this.disarm();
    try {
      await this.exporter.shutdown();
    } catch (err) {
      logSwallowed('exporter shutdown', err);
    }
  }

  /** In-process exporters (the console tree): handed each span synchronously, no queue. */
  private exportDirect(span: any): void {
    try {
      // Exports never trace themselves (the HTTP/undici instrumentations would see them).
      exportSuppressed(this.exporter, [span], (result) => {
        if (result.code === SUCCESS) this.stats.exported++;
        else {
          this.stats.failedExports++;
          this.stats.droppedExportFailed++;
        }
      });
    } catch (err) {
      this.stats.failedExports++;
      this.stats.droppedExportFailed++;
      logSwallowed(`export to ${this.options.name}`, err);
    }
  }

  private arm(): void {
    if (this.timer || this.inFlight) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.delay);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts an export of the next batch unless one is running. */
  private kick(): void {
    if (this.inFlight || this.queue.length === 0) return;
    this.disarm();
    const batch = this.queue.splice(0, this.maxBatch);
    this.stats.queued = this.queue.length;
    this.inFlight = this.exportBatch(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length >= this.maxBatch) this.kick();
      else if (this.queue.length > 0) this.arm();
    });
  }

  private async exportBatch(batch: any[]): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Network exporters send the resource: wait for its async attributes.
      const pending = pendingResources(batch);
      if (pending.length > 0) await waitForResources(pending);
      const ok = await new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          diag.warn(
            `genai-otel: export to "${this.options.name}" timed out after ${this.timeout} ms`,
          );
          resolve(false);
        }, this.timeout);
        timer.unref?.();
        try {
          exportSuppressed(this.exporter, batch, (result) => {
            if (result.code !== SUCCESS && result.error)
              diag.warn(
                `genai-otel: export to "${this.options.name}" failed: ${result.error.message}`,
              );
            resolve(result.code === SUCCESS);
          });
        } catch (err) {
          logSwallowed(`export to ${this.options.name}`, err);
          resolve(false);
        }
      });
      if (ok) this.stats.exported += batch.length;
      else {
        this.stats.failedExports++;
        this.stats.droppedExportFailed += batch.length;
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** Calls the exporter with tracing suppressed, so its own HTTP requests create no spans. */
function exportSuppressed(
  exporter: SpanExporterLike,
  spans: any[],
  done: (result: { code: number; error?: Error }) => void,
): void {
  context.with(suppressTracing(context.active()), () => exporter.export(spans, done));
}

function pendingResources(batch: any[]): any[] {
  const pending = new Set<any>();
  for (const span of batch) {
    const r = span.resource;
    if (r?.asyncAttributesPending && typeof r.waitForAsyncAttributes === 'function') pending.add(r);
  }
  return [...pending];
}

async function waitForResources(pending: any[]): Promise<void> {
  for (const r of pending) {
    try {
      await r.waitForAsyncAttributes();
    } catch {
      // exported with the attributes it has
    }
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? Math.floor(value)
    : fallback;
}

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}
