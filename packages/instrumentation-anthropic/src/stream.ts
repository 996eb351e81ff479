/**
 * Streaming: rebuild the Message from the events the application reads, and learn when and how
 * the read ends, without changing the `Stream` the SDK returned.
 *
 * We replace the stream's own `iterator` function (the one its `[Symbol.asyncIterator]()`,
 * `tee()` and `toReadableStream()` call) with one that observes the first iteration. The
 * observed iterator forwards `next`/`return`/`throw` one to one, so back-pressure, `break`
 * (which aborts the request), `controller.abort()` and errors behave exactly as before.
 */

type Obj = Record<string | symbol, any>;

export type StreamEnd =
  | { reason: 'completed' }
  | { reason: 'failed'; error: unknown }
  | { reason: 'cancelled' };

export interface StreamObserver {
  onEvent(event: unknown): void;
  onEnd(end: StreamEnd): void;
  /** The observed iterator, once the application starts reading. */
  onIterate?(iterator: object): void;
}

const OBSERVED = Symbol.for('genai-otel.anthropic.stream-observed');

/** True when `data` looks like the SDK's `Stream` (async iterable with an `iterator` field). */
export function isSdkStream(data: unknown): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as Obj)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Observes the stream's first iteration. Returns false when the stream could not be observed
 * (the caller then ends its span at once).
 */
export function observeStream(stream: Obj, observer: StreamObserver): boolean {
  if (stream[OBSERVED]) return false;
  const signal: AbortSignal | undefined = stream.controller?.signal;
  const wrap = (source: AsyncIterator<unknown>): AsyncIterator<unknown> => {
    const it = observedIterator(source, observer, signal);
    try {
      observer.onIterate?.(it);
    } catch {
      // ignore
    }
    return it;
  };
  if (typeof stream.iterator === 'function' && Object.hasOwn(stream, 'iterator')) {
    const original = stream.iterator as () => AsyncIterator<unknown>;
    let first = true;
    stream.iterator = function (this: unknown, ...args: unknown[]) {
      const source = (original as (...a: unknown[]) => AsyncIterator<unknown>).apply(this, args);
      if (!first) return source;
      first = false;
      return wrap(source);
    };
  } else {
    const original = stream[Symbol.asyncIterator] as () => AsyncIterator<unknown>;
    let first = true;
    stream[Symbol.asyncIterator] = function (this: unknown) {
      const source = original.call(this);
      if (!first) return source;
      first = false;
      return wrap(source);
    };
  }
  Object.defineProperty(stream, OBSERVED, { value: true });
  return true;
}

function observedIterator(
  source: AsyncIterator<unknown>,
  observer: StreamObserver,
  signal: AbortSignal | undefined,
): AsyncIterator<unknown> {
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    try {
      observer.onEnd(how);
    } catch {
      // observer failures never reach the application
    }
  };
  const iterator: AsyncIterator<unknown> & AsyncIterable<unknown> = {
    async next(...args: [] | [unknown]) {
      let result: IteratorResult<unknown>;
      try {
        result = await source.next(...args);
      } catch (error) {
        end({ reason: 'failed', error });
        throw error;
      }
      if (result.done) {
        // The SDK's stream ends quietly when its controller was aborted.
        end(signal?.aborted ? { reason: 'cancelled' } : { reason: 'completed' });
      } else if (!ended) {
        try {
          observer.onEvent(result.value);
        } catch {
          // ignore
        }
      }
      return result;
    },
    async return(value?: unknown) {
      end({ reason: 'cancelled' });
      if (typeof source.return === 'function') return source.return(value);
      return { done: true, value };
    },
    async throw(error?: unknown) {
      end({ reason: 'cancelled' });
      if (typeof source.throw === 'function') return source.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

// --- accumulation ---------------------------------------------------------------------------

interface Block {
  type: string;
  [k: string]: unknown;
}

/** Rebuilds a Message (or a legacy completion) from stream events. Bounded by the stream. */
export class MessageAccumulator {
  id: string | undefined;
  model: string | undefined;
  stopReason: string | undefined;
  usage: Obj = {};
  sawDelta = false;
  sawMessageDelta = false;
  sawStop = false;
  /** Legacy completions: concatenated text. */
  completion = '';
  readonly blocks: Block[] = [];
  private readonly partialJson = new Map<number, string>();

  /**
   * @param keepContent rebuild content blocks (only when content capture is on)
   * @param maxChars cap per accumulated text (the content policy's length limit: more would be
   *   truncated on the span anyway, so a long stream never grows this beyond it)
   */
  constructor(
    private readonly keepContent: boolean,
    private readonly maxChars = 65_536,
  ) {}

  private append(current: unknown, more: unknown): string {
    const base = String(current ?? '');
    if (base.length >= this.maxChars) return base;
    return (base + String(more ?? '')).slice(0, this.maxChars);
  }

  /** Returns true for the first content chunk (time to first chunk). */
  add(event: unknown): boolean {
    if (typeof event !== 'object' || event === null) return false;
    const e = event as Obj;
    switch (e.type) {
      case 'message_start': {
        const m = e.message ?? {};
        if (typeof m.id === 'string') this.id = m.id;
        if (typeof m.model === 'string') this.model = m.model;
        if (m.usage && typeof m.usage === 'object') this.usage = { ...m.usage };
        return false;
      }
      case 'content_block_start': {
        const b = e.content_block;
        if (typeof b === 'object' && b !== null && typeof e.index === 'number') {
          if (b.type === 'fallback' && typeof b.to?.model === 'string') this.model = b.to.model;
          if (this.keepContent) this.blocks[e.index] = { ...b };
        }
        return false;
      }
      case 'content_block_delta': {
        const first = !this.sawDelta;
        this.sawDelta = true;
        if (this.keepContent) this.applyDelta(e.index, e.delta);
        return first;
      }
      case 'content_block_stop': {
        if (this.keepContent && typeof e.index === 'number') this.finishBlock(e.index);
        return false;
      }
      case 'message_delta': {
        this.sawMessageDelta = true;
        if (typeof e.delta?.stop_reason === 'string') this.stopReason = e.delta.stop_reason;
        const u = e.usage;
        if (u && typeof u === 'object') {
          for (const [k, v] of Object.entries(u))
            if (v !== null && v !== undefined) this.usage[k] = v;
        }
        return false;
      }
      case 'message_stop':
        this.sawStop = true;
        return false;
      case 'completion': {
        // Legacy `/v1/complete` stream.
        const first = !this.sawDelta;
        this.sawDelta = true;
        if (typeof e.id === 'string') this.id = e.id;
        if (typeof e.model === 'string') this.model = e.model;
        if (typeof e.stop_reason === 'string') {
          this.stopReason = e.stop_reason;
          this.sawStop = true;
        }
        if (this.keepContent && typeof e.completion === 'string')
          this.completion = this.append(this.completion, e.completion);
        return first;
      }
      default:
        return false;
    }
  }

  private applyDelta(index: unknown, delta: unknown): void {
    if (typeof index !== 'number' || typeof delta !== 'object' || delta === null) return;
    const d = delta as Obj;
    let block = this.blocks[index];
    if (!block) {
      block = { type: 'text', text: '' };
      this.blocks[index] = block;
    }
    switch (d.type) {
      case 'text_delta':
        block.text = this.append(block.text, d.text);
        break;
      case 'thinking_delta':
        block.thinking = this.append(block.thinking, d.thinking);
        break;
      case 'input_json_delta':
        this.partialJson.set(index, this.append(this.partialJson.get(index), d.partial_json));
        break;
      case 'citations_delta':
        if (((block.citations as unknown[] | undefined)?.length ?? 0) < 100)
          block.citations = [...((block.citations as unknown[]) ?? []), d.citation];
        break;
      default:
        // signature_delta and future deltas carry nothing we record.
        break;
    }
  }

  private finishBlock(index: number): void {
    const json = this.partialJson.get(index);
    if (json === undefined) return;
    this.partialJson.delete(index);
    const block = this.blocks[index];
    if (!block) return;
    try {
      block.input = json ? JSON.parse(json) : {};
    } catch {
      block.input = json;
    }
  }

  /** Content blocks as far as they were read (unfinished tool input is kept as raw text). */
  content(): Block[] {
    for (const index of [...this.partialJson.keys()]) {
      const block = this.blocks[index];
      if (block) block.input = this.partialJson.get(index);
    }
    return this.blocks.filter((b) => b !== undefined);
  }
}
