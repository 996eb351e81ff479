import type { GenAISpan } from '@genai-otel/core';
import { logSwallowed } from '@genai-otel/core';
import type { Context } from '@opentelemetry/api';

export type RunKind = 'chain' | 'agent' | 'llm' | 'tool' | 'retriever';

/** One LangChain run we are tracking. Hidden runs have no span but still carry a context. */
export interface RunState {
  readonly id: string;
  readonly kind: RunKind;
  /** The parent run id LangChain reported (whether or not we track that run). */
  readonly parentId: string | undefined;
  /** Undefined for hidden runs (their children attach to `context`). */
  readonly span: GenAISpan | undefined;
  /** The context child runs and child work use as parent. */
  readonly context: Context;
  /** `Date.now()` at start, for TTL eviction. */
  readonly startedAt: number;
  /**
   * Last time something of this run was seen (start, a token, a child run ending): where an
   * abandoned run's span ends, rather than when it is evicted (which can be `runTtlMs` later
   * and would show as a slow call in traces, latency metrics and tail sampling).
   */
  lastActivityMs: number;
  /** Agent name when this run or an ancestor is an agent (used to spot the agent's own run). */
  readonly agentName: string | undefined;
  firstChunkSeen: boolean;
  /** Called once when the run leaves the registry, however it ends (see DeferredContext). */
  onReleased: (() => void) | undefined;
}

export const ATTR_RUN_ABANDONED = 'genai_otel.langchain.run.abandoned';

/**
 * Open runs keyed by run id, bounded two ways: at most `cap` entries (oldest evicted first)
 * and at most `ttlMs` old (checked on every insert, amortised O(1) because a Map iterates in
 * insertion order, which is start order). Evicted runs get their span ended as abandoned.
 * No timers, so nothing keeps the process alive.
 */
export class RunRegistry {
  private readonly runs = new Map<string, RunState>();
  private evictedCount = 0;

  /** `cap()` and `ttlMs()` are read on inserts (live config), without allocating. */
  constructor(
    private readonly cap: () => number,
    private readonly ttlMs: () => number,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  /** How many runs were evicted (cap or TTL) since start. */
  get evicted(): number {
    return this.evictedCount;
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  add(run: RunState): void {
    // A run id started twice (a misbehaving callback source) must not orphan the first span.
    const previous = this.runs.get(run.id);
    if (previous !== undefined && previous !== run) {
      this.runs.delete(run.id);
      released(previous);
      abandon(previous);
    }
    this.runs.set(run.id, run);
    const size = this.runs.size;
    // Small maps skip the TTL scan (at most 64 stale runs linger until the map grows).
    if (size > 64) this.evict(this.cap(), this.ttlMs(), run.startedAt);
    else {
      const cap = this.cap();
      if (size > cap) this.evict(cap, this.ttlMs(), run.startedAt);
    }
  }

  /** Removes and returns the run (ending is the caller's job). */
  take(runId: string): RunState | undefined {
    const run = this.runs.get(runId);
    if (run !== undefined) {
      this.runs.delete(runId);
      if (run.onReleased !== undefined) released(run);
      if (run.parentId !== undefined) {
        const parent = this.runs.get(run.parentId);
        if (parent !== undefined) parent.lastActivityMs = Date.now();
      }
    }
    return run;
  }

  /**
   * Removes `root` and every open run below it (by parent links), deepest last-started first.
   * O(open runs): only used when a stream is abandoned by its consumer.
   */
  takeTree(rootId: string): RunState[] {
    const out: RunState[] = [];
    const inTree = new Set<string>([rootId]);
    // Insertion order is start order, so a parent is always seen before its children.
    for (const run of this.runs.values()) {
      if (run.id === rootId || (run.parentId !== undefined && inTree.has(run.parentId))) {
        inTree.add(run.id);
        out.push(run);
      }
    }
    for (const run of out) {
      this.runs.delete(run.id);
      released(run);
    }
    return out.reverse();
  }

  /** Ends and forgets every open run (used by `uninstrument()`). */
  clear(): void {
    for (const run of this.runs.values()) {
      released(run);
      abandon(run);
    }
    this.runs.clear();
  }

  private evict(cap: number, ttlMs: number, now: number): void {
    for (const [id, run] of this.runs) {
      if (this.runs.size <= cap && now - run.startedAt < ttlMs) break;
      this.runs.delete(id);
      this.evictedCount++;
      released(run);
      abandon(run);
    }
  }
}

function released(run: RunState): void {
  const callback = run.onReleased;
  if (callback === undefined) return;
  run.onReleased = undefined;
  try {
    callback();
  } catch (err) {
    logSwallowed('langchain run released', err);
  }
}

function abandon(run: RunState): void {
  if (run.span === undefined || run.span.isEnded) return;
  run.span.setAttribute(ATTR_RUN_ABANDONED, true);
  run.span.end(run.lastActivityMs);
}
