/**
 * The `console` exporter: each finished trace printed as an indented tree with durations,
 * models, token counts and errors. Spans are held per trace until the trace's local root
 * ends (children end before their parents), then the whole tree is written at once.
 *
 *   query_with_context (512 ms)
 *   ├─ assemble_context (9 ms)
 *   ├─ chat claude-sonnet-4 (470 ms) in 1,204 / out 312 tokens
 *   └─ parse_response (2 ms)
 */
import { logSwallowed } from '@genai-otel/core';
import type { ConsoleTreeOptions, SpanExporterLike } from './types.js';

const SUCCESS = 0;
const STATUS_ERROR = 2;

interface PendingTrace {
  spans: any[];
  /** When the first span of the trace arrived (ms, monotonic). */
  firstSeen: number;
  /** Spans not kept because the per-trace cap was reached. */
  omitted: number;
}

const ANSI = {
  dim: '\u001b[2m',
  red: '\u001b[31m',
  cyan: '\u001b[36m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
};

export class TreeSpanExporter implements SpanExporterLike {
  private readonly pending = new Map<string, PendingTrace>();
  /** Recently printed traces (bounded), so that a late span is labelled as such. */
  private readonly printed = new Map<string, string>();
  private readonly stream: NonNullable<ConsoleTreeOptions['stream']>;
  private readonly color: boolean;
  private readonly maxPendingTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly maxPendingSpans: number;
  private readonly maxWaitMs: number;
  private pendingSpans = 0;
  private stopped = false;

  constructor(private readonly options: ConsoleTreeOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.color =
      options.color ??
      (Boolean((this.stream as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR);
    this.maxPendingTraces = Math.max(1, options.maxPendingTraces ?? 1000);
    this.maxSpansPerTrace = Math.max(1, options.maxSpansPerTrace ?? 1000);
    this.maxPendingSpans = Math.max(1, options.maxPendingSpans ?? 10_000);
    this.maxWaitMs = Math.max(0, options.maxTraceWaitMillis ?? 300_000);
  }

  export(spans: any[], resultCallback: (result: { code: number }) => void): void {
    try {
      if (!this.stopped) this.accept(spans);
    } catch (err) {
      logSwallowed('console tree exporter', err);
    }
    resultCallback({ code: SUCCESS });
  }

  forceFlush(): Promise<void> {
    try {
      for (const id of [...this.pending.keys()]) this.printTrace(id, true);
    } catch (err) {
      logSwallowed('console tree exporter flush', err);
    }
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
  }

  private accept(spans: any[]): void {
    const completed = new Set<string>();
    for (const span of spans) {
      const traceId: string = span.spanContext().traceId;
      const rootName = this.printed.get(traceId);
      if (rootName !== undefined) {
        this.write(
          `${this.paint('dim', `↳ late span in "${rootName}":`)} ${this.describe(span)}\n`,
        );
        continue;
      }
      let trace = this.pending.get(traceId);
      if (!trace) {
        trace = { spans: [], omitted: 0, firstSeen: performance.now() };
        this.pending.set(traceId, trace);
      }
      if (trace.spans.length < this.maxSpansPerTrace) {
        trace.spans.push(span);
        this.pendingSpans++;
      } else trace.omitted++;
      if (isLocalRoot(span)) completed.add(traceId);
    }
    for (const id of completed) this.printTrace(id, false);
    // Bounded: the oldest waiting traces are printed early (as incomplete) when over a cap,
    // or when they have waited too long for their root (checked as spans arrive).
    const now = performance.now();
    for (;;) {
      const oldestId = this.pending.keys().next().value as string | undefined;
      if (oldestId === undefined) break;
      const oldest = this.pending.get(oldestId)!;
      const over =
        this.pending.size > this.maxPendingTraces ||
        this.pendingSpans > this.maxPendingSpans ||
        now - oldest.firstSeen > this.maxWaitMs;
      if (!over) break;
      this.printTrace(oldestId, true);
    }
  }

  private printTrace(traceId: string, incomplete: boolean): void {
    const trace = this.pending.get(traceId);
    this.pending.delete(traceId);
    if (!trace || trace.spans.length === 0) return;
    this.pendingSpans -= trace.spans.length;
    const lines: string[] = [];
    const ids = new Set(trace.spans.map((s) => s.spanContext().spanId));
    const children = new Map<string, any[]>();
    const roots: any[] = [];
    for (const s of trace.spans) {
      const p = parentSpanId(s);
      if (p && ids.has(p)) {
        const list = children.get(p) ?? [];
        list.push(s);
        children.set(p, list);
      } else roots.push(s);
    }
    const byStart = (a: any, b: any) => hrToNanos(a.startTime) - hrToNanos(b.startTime);
    roots.sort(byStart);
    const visit = (span: any, prefix: string, connector: string, childPrefix: string) => {
      lines.push(`${prefix}${connector}${this.describe(span, prefix === '' && connector === '')}`);
      const kids = (children.get(span.spanContext().spanId) ?? []).sort(byStart);
      kids.forEach((kid, i) => {
        const last = i === kids.length - 1;
        visit(kid, prefix + childPrefix, last ? '└─ ' : '├─ ', last ? '   ' : '│  ');
      });
    };
    for (const root of roots) {
      // A root whose parent is elsewhere (remote, or not ended yet) is marked so.
      const parentMissing = parentSpanId(root) && !root.parentSpanContext?.isRemote;
      if (parentMissing && incomplete) lines.push(this.paint('dim', '… (parent not ended)'));
      visit(root, '', '', '');
    }
    const root = roots.find(isLocalRoot) ?? roots[0];
    if (this.options.showTraceId) lines[0] += ` ${this.paint('dim', `[trace ${traceId}]`)}`;
    if (trace.omitted > 0) lines.push(this.paint('dim', `… ${trace.omitted} more spans omitted`));
    if (incomplete && !roots.some(isLocalRoot))
      lines.push(this.paint('dim', '… (trace still running at flush)'));
    this.write(`${lines.join('\n')}\n\n`);
    this.remember(traceId, root?.name ?? 'trace');
  }

  private remember(traceId: string, rootName: string): void {
    this.printed.set(traceId, rootName);
    if (this.printed.size > 1000) this.printed.delete(this.printed.keys().next().value as string);
  }

  /** One span's line: name, duration, then what matters for GenAI work. */
  describe(span: any, asRoot = false): string {
    const a = span.attributes ?? {};
    const parts: string[] = [
      this.paint('bold', String(span.name)),
      this.paint('dim', `(${formatDuration(durationMs(span))})`),
    ];
    const model = a['gen_ai.response.model'] ?? a['gen_ai.request.model'];
    if (typeof model === 'string' && !String(span.name).includes(model))
      parts.push(this.paint('cyan', `model ${model}`));
    const input = a['gen_ai.usage.input_tokens'];
    const output = a['gen_ai.usage.output_tokens'];
    if (typeof input === 'number' || typeof output === 'number') {
      const tokens: string[] = [];
      if (typeof input === 'number') tokens.push(`in ${formatInt(input)}`);
      if (typeof output === 'number') tokens.push(`out ${formatInt(output)}`);
      let text = `${tokens.join(' / ')} tokens`;
      const cacheRead = a['gen_ai.usage.cache_read.input_tokens'];
      if (typeof cacheRead === 'number' && cacheRead > 0)
        text += ` (cache read ${formatInt(cacheRead)})`;
      parts.push(text);
    }
    const ttfc = a['gen_ai.response.time_to_first_chunk'];
    if (typeof ttfc === 'number') parts.push(`first chunk ${formatDuration(ttfc * 1000)}`);
    const docs = a['genai_otel.retrieval.document_count'];
    if (typeof docs === 'number') parts.push(`${docs} doc${docs === 1 ? '' : 's'}`);
    const keys = [...(this.options.attributes ?? [])];
    if (asRoot)
      for (const k of this.options.rootAttributes ?? []) if (!keys.includes(k)) keys.push(k);
    for (const key of keys) {
      if (a[key] !== undefined) parts.push(`${key}=${String(a[key])}`);
    }
    if (span.status?.code === STATUS_ERROR || a['error.type'] !== undefined) {
      const type = a['error.type'] !== undefined ? String(a['error.type']) : 'error';
      const message = span.status?.message ? `: ${truncate(String(span.status.message), 120)}` : '';
      parts.push(this.paint('red', `✗ ${type}${message}`));
    }
    return parts.join(' ');
  }

  private paint(style: keyof typeof ANSI, text: string): string {
    return this.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
  }

  private write(text: string): void {
    try {
      this.stream.write(text);
    } catch (err) {
      logSwallowed('console tree write', err);
    }
  }
}

export function parentSpanId(span: any): string | undefined {
  return span.parentSpanContext?.spanId ?? span.parentSpanId ?? undefined;
}

/** No parent, or a parent in another process: the local root of its trace. */
export function isLocalRoot(span: any): boolean {
  return !parentSpanId(span) || span.parentSpanContext?.isRemote === true;
}

function hrToNanos(t: [number, number] | undefined): number {
  return t ? t[0] * 1e9 + t[1] : 0;
}

function durationMs(span: any): number {
  if (Array.isArray(span.duration)) return span.duration[0] * 1e3 + span.duration[1] / 1e6;
  return (hrToNanos(span.endTime) - hrToNanos(span.startTime)) / 1e6;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
