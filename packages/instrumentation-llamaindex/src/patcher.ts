import { logSwallowed } from '@genai-otel/core';

/** Marks our wrappers and points back to the function they wrap. */
export const ORIGINAL = Symbol.for('genai-otel.llamaindex.original');

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

interface PatchRecord {
  /** The property descriptor that was in place before we patched (undefined: it was inherited). */
  descriptor: PropertyDescriptor | undefined;
  wrapper: AnyFn;
  /** The wrapper is the `set` of an accessor (see `observeSetter`). */
  accessor?: boolean;
}

/** Instances (not prototypes) we patched are tracked weakly, with a cap. */
const MAX_TRACKED_INSTANCES = 10_000;

export function isWrapped(fn: unknown): boolean {
  return (
    typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[ORIGINAL] !== undefined
  );
}

/**
 * Applies and removes method wrappers. Every wrap is recorded, so {@link restoreAll} puts the
 * exact original property descriptors back; wrapping an already wrapped method is a no-op, so
 * patching twice (two entry files re-exporting the same class, double `instrument()`) is harmless.
 */
export class Patcher {
  private readonly prototypes = new Map<object, Map<PropertyKey, PatchRecord>>();
  private readonly instances = new Set<WeakRef<object>>();
  private readonly instanceRecords = new WeakMap<object, Map<PropertyKey, PatchRecord>>();

  /**
   * Wraps `target[key]` (an own or inherited function) with `makeWrapper(original)`, as an own
   * property of `target`. Returns false when nothing was patched.
   */
  wrap(
    target: object | null | undefined,
    key: PropertyKey,
    makeWrapper: (original: AnyFn) => AnyFn,
    options: { instance?: boolean } = {},
  ): boolean {
    try {
      if (!target || (typeof target !== 'object' && typeof target !== 'function')) return false;
      const current = (target as Record<PropertyKey, unknown>)[key];
      if (typeof current !== 'function' || isWrapped(current)) return false;
      const own = Object.getOwnPropertyDescriptor(target, key);
      if (own && (own.get || own.set)) return false; // accessors are not ours to replace
      if (own && own.writable === false && own.configurable === false) return false;
      if (!own && !Object.isExtensible(target)) return false;
      const original = current as AnyFn;
      const wrapper = makeWrapper(original);
      Object.defineProperty(wrapper, ORIGINAL, { value: original });
      copyName(wrapper, original);
      Object.defineProperty(target, key, {
        value: wrapper,
        writable: own?.writable ?? true,
        enumerable: own?.enumerable ?? false,
        configurable: true,
      });
      const record: PatchRecord = { descriptor: own, wrapper };
      if (options.instance) {
        let map = this.instanceRecords.get(target);
        if (!map) {
          map = new Map();
          this.instanceRecords.set(target, map);
          if (this.instances.size < MAX_TRACKED_INSTANCES) this.instances.add(new WeakRef(target));
        }
        map.set(key, record);
      } else {
        let map = this.prototypes.get(target);
        if (!map) {
          map = new Map();
          this.prototypes.set(target, map);
        }
        map.set(key, record);
      }
      return true;
    } catch (err) {
      logSwallowed(`llamaindex patch ${String(key)}`, err);
      return false;
    }
  }

  /**
   * Observes assignments to an accessor property (`Settings.llm = ...`): `onSet` runs before
   * the original setter, which still does the work. The accessor is replaced on the object
   * that owns it (the object itself or a prototype) and restored by {@link restoreAll}.
   */
  observeSetter(
    target: object | null | undefined,
    key: PropertyKey,
    onSet: (value: unknown) => void,
  ): boolean {
    try {
      let owner: object | null = target ?? null;
      let desc: PropertyDescriptor | undefined;
      for (let i = 0; owner && i < 8; i++) {
        desc = Object.getOwnPropertyDescriptor(owner, key);
        if (desc) break;
        owner = Object.getPrototypeOf(owner);
      }
      if (!owner || !desc || typeof desc.set !== 'function' || !desc.configurable) return false;
      if (isWrapped(desc.set)) return false;
      const originalSet = desc.set;
      const setter = function (this: unknown, value: unknown) {
        try {
          onSet(value);
        } catch (err) {
          logSwallowed('llamaindex setter', err);
        }
        return originalSet.call(this, value);
      };
      Object.defineProperty(setter, ORIGINAL, { value: originalSet });
      Object.defineProperty(owner, key, { ...desc, set: setter });
      let map = this.prototypes.get(owner);
      if (!map) {
        map = new Map();
        this.prototypes.set(owner, map);
      }
      map.set(key, { descriptor: desc, wrapper: setter as AnyFn, accessor: true });
      return true;
    } catch (err) {
      logSwallowed(`llamaindex observe ${String(key)}`, err);
      return false;
    }
  }

  /** True when `target[key]` is currently one of our wrappers installed on `target` itself. */
  isPatched(target: object, key: PropertyKey): boolean {
    return (
      this.prototypes.get(target)?.has(key) === true ||
      this.instanceRecords.get(target)?.has(key) === true
    );
  }

  get patchedCount(): number {
    let n = 0;
    for (const m of this.prototypes.values()) n += m.size;
    return n;
  }

  /** Puts every original back (prototypes and still-alive instances). */
  restoreAll(): void {
    for (const [target, map] of this.prototypes) restore(target, map);
    this.prototypes.clear();
    for (const ref of this.instances) {
      const target = ref.deref();
      const map = target && this.instanceRecords.get(target);
      if (target && map) {
        restore(target, map);
        this.instanceRecords.delete(target);
      }
    }
    this.instances.clear();
  }
}

function restore(target: object, map: Map<PropertyKey, PatchRecord>): void {
  for (const [key, record] of map) {
    try {
      const now = Object.getOwnPropertyDescriptor(target, key);
      // Someone replaced our wrapper after us: leave their function alone.
      if (!now || (record.accessor ? now.set : now.value) !== record.wrapper) continue;
      if (record.descriptor) Object.defineProperty(target, key, record.descriptor);
      else delete (target as Record<PropertyKey, unknown>)[key];
    } catch (err) {
      logSwallowed(`llamaindex restore ${String(key)}`, err);
    }
  }
}

function copyName(wrapper: AnyFn, original: AnyFn): void {
  try {
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  } catch {
    // cosmetic only
  }
}
