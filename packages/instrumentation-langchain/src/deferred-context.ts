import type { Context } from '@opentelemetry/api';

/**
 * A context whose contents are decided a little after it becomes active.
 *
 * LangChain starts a run (and calls our handler, inline) from inside the method that then does
 * the run's work (`generate`, `_streamIterator`, `StructuredTool.call`, ...). The method is
 * entered with a DeferredContext active; when our handler sees the run start it points the
 * deferred context at the run's span context, so everything the method does next (a provider
 * SDK call, an HTTP request, a user's `startActiveSpan`) nests under the run's span.
 */
export class DeferredContext implements Context {
  /** The context of the run this method started (set by the handler on the first run start). */
  target: Context | undefined = undefined;
  /** The run that claimed this context (opaque to this module). */
  run: unknown = undefined;
  /** Handed to the run that claims this context: called once when it leaves the run registry. */
  onRunReleased: (() => void) | undefined = undefined;

  constructor(
    readonly base: Context,
    /** The object whose method opened this context (a tool, model or retriever instance). */
    readonly owner?: unknown,
  ) {}

  /**
   * The context a run started here has as its parent: the base, past the deferred contexts
   * it was opened in that no run has claimed yet (they will be claimed by the same run, so
   * their contents must not be the run's own parent: that would be a cycle).
   */
  get parentForRun(): Context {
    let base = this.base;
    while (base instanceof DeferredContext && base.target === undefined) base = base.base;
    return base;
  }

  getValue(key: symbol): unknown {
    return (this.target ?? this.base).getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return (this.target ?? this.base).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return (this.target ?? this.base).deleteValue(key);
  }
}
