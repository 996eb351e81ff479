import type { Context } from '@opentelemetry/api';

/**
 * Contexts for span trees, cheap to extend.
 *
 * Every GenAI span derives a context (its span, and for model calls a usage slot) that its
 * children and the work it wraps run in. OpenTelemetry's own context copies its whole `Map`
 * and creates three closures on every `setValue`, which made those two derivations a visible
 * share of our per-span cost and of the garbage we leave behind. A `ContextChain` node holds
 * one key and value and points at the context it extends: `setValue` allocates one small
 * object, `getValue` walks towards the root. The walk is bounded: a chain never grows beyond
 * {@link MAX_CHAIN_LENGTH} nodes above an ordinary context; the next `setValue` copies the
 * chain's entries onto that context (as OpenTelemetry would have) and starts a new chain.
 *
 * The result is an ordinary `Context` to everyone else: the context manager stores it,
 * propagators, the SDK and other instrumentations read and extend it through the interface.
 */
export class ContextChain implements Context {
  private constructor(
    /** The context this node extends (another node, or an ordinary context at the bottom). */
    private readonly parent: Context,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
    /** Nodes from here down to the ordinary context (this one included). */
    private readonly length: number,
  ) {}

  /**
   * `ctx` as a chain that `setValue` extends cheaply: itself if it already is one, else an
   * empty node over it (the node reads through to `ctx`).
   */
  static over(ctx: Context): Context {
    return ctx instanceof ContextChain ? ctx : new ContextChain(ctx, undefined, undefined, 0);
  }

  getValue(key: symbol): unknown {
    let node: Context = this;
    while (node instanceof ContextChain) {
      if (node.key === key) return node.value === DELETED ? undefined : node.value;
      node = node.parent;
    }
    return node.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (this.length < MAX_CHAIN_LENGTH) return new ContextChain(this, key, value, this.length + 1);
    return new ContextChain(this.flatten(), key, value, 1);
  }

  deleteValue(key: symbol): Context {
    // A deleted key reads as undefined, which is all a deletion means to `getValue`; the
    // flattened form deletes it for real.
    return this.setValue(key, DELETED);
  }

  /** The chain's entries written onto the ordinary context below it (oldest first). */
  private flatten(): Context {
    const nodes: ContextChain[] = [];
    let base: Context = this;
    while (base instanceof ContextChain) {
      nodes.push(base);
      base = base.parent;
    }
    for (let i = nodes.length - 1; i >= 0; i--) {
      const { key, value } = nodes[i];
      if (key === undefined) continue;
      base = value === DELETED ? base.deleteValue(key) : base.setValue(key, value);
    }
    return base;
  }
}

/** Longest chain above an ordinary context: bounds every `getValue` walk. */
export const MAX_CHAIN_LENGTH = 24;

/** Marks a deleted key inside a chain (never returned: see `getValue`). */
const DELETED: unique symbol = Symbol('genai-otel deleted context value');
