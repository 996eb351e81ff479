const WRAPPED_BY = Symbol.for('genai-otel.langchain.wrappedBy');
const ORIGINAL = Symbol.for('genai-otel.langchain.original');

interface PatchRecord {
  target: object;
  key: string;
  descriptor: PropertyDescriptor;
  wrapper: Function;
}

/**
 * Replaces own methods (class statics and prototype methods) and puts back the exact original
 * property descriptor on restore. Wrapping the same property twice is a no-op, so patching
 * from both the module hook and `manuallyInstrument` is safe.
 */
export class Patcher {
  private records: PatchRecord[] = [];

  wrap(target: object, key: string, make: (original: Function) => Function): boolean {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (!descriptor || typeof descriptor.value !== 'function') return false;
    const current = descriptor.value as Function & { [WRAPPED_BY]?: unknown };
    if (current[WRAPPED_BY] === this) return false;
    const wrapper = make(current);
    Object.defineProperty(wrapper, WRAPPED_BY, { value: this });
    Object.defineProperty(wrapper, ORIGINAL, { value: current });
    // Keep `name`/`length` so stack traces and introspection look like LangChain's.
    try {
      Object.defineProperty(wrapper, 'name', { value: current.name, configurable: true });
      Object.defineProperty(wrapper, 'length', { value: current.length, configurable: true });
    } catch {
      // cosmetic only
    }
    Object.defineProperty(target, key, { ...descriptor, value: wrapper });
    this.records.push({ target, key, descriptor, wrapper });
    return true;
  }

  isPatched(target: object, key: string): boolean {
    const fn = (target as Record<string, unknown>)[key] as { [WRAPPED_BY]?: unknown } | undefined;
    return typeof fn === 'function' && fn[WRAPPED_BY] === this;
  }

  /** Restores the patches on `targets` (all patches when omitted). */
  restore(targets?: ReadonlySet<object>): void {
    const keep: PatchRecord[] = [];
    for (const r of this.records) {
      if (targets && !targets.has(r.target)) {
        keep.push(r);
        continue;
      }
      const now = Object.getOwnPropertyDescriptor(r.target, r.key);
      // Someone wrapped on top of us: leave their wrapper (ours is inert once disabled).
      if (now?.value === r.wrapper) Object.defineProperty(r.target, r.key, r.descriptor);
    }
    this.records = keep;
  }

  get size(): number {
    return this.records.length;
  }
}
