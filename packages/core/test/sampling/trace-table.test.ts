import { describe, expect, it } from 'vitest';
import { TraceTable } from '../../src/sampling/trace-table.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (r: () => number, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
};

describe('TraceTable', () => {
  it('behaves like a Map under random inserts, replacements and deletions (with growth)', () => {
    const r = rng(7);
    const table = new TraceTable<number>(16);
    const model = new Map<string, number>();
    const ids: string[] = [];
    for (let step = 0; step < 60_000; step++) {
      const op = r();
      if (op < 0.45 || ids.length === 0) {
        const id = hex(r, 32);
        ids.push(id);
        table.set(id, step);
        model.set(id, step);
      } else if (op < 0.6) {
        const id = ids[Math.floor(r() * ids.length)]!;
        table.set(id, -step);
        model.set(id, -step);
      } else if (op < 0.95) {
        const k = Math.floor(r() * ids.length);
        const id = ids[k]!;
        expect(table.delete(id)).toBe(model.delete(id));
        ids[k] = ids[ids.length - 1]!;
        ids.pop();
      } else {
        const id = r() < 0.5 ? hex(r, 32) : ids[Math.floor(r() * ids.length)]!;
        expect(table.get(id)).toBe(model.get(id));
      }
      expect(table.size).toBe(model.size);
    }
    for (const [k, v] of model) expect(table.get(k)).toBe(v);
    for (const id of ids) table.delete(id);
    expect(table.size).toBe(0);
    for (const k of model.keys()) expect(table.get(k)).toBeUndefined();
  });

  it('keeps working when ids share all but a few characters (crafted trace ids)', () => {
    const table = new TraceTable<number>();
    const ids = Array.from(
      { length: 5000 },
      (_, i) => `${i.toString(16).padStart(4, '0')}${'a'.repeat(28)}`,
    );
    for (const [i, id] of ids.entries()) table.set(id, i);
    for (const [i, id] of ids.entries()) expect(table.get(id)).toBe(i);
    for (let i = 0; i < ids.length; i += 2) expect(table.delete(ids[i]!)).toBe(true);
    for (const [i, id] of ids.entries()) expect(table.get(id)).toBe(i % 2 === 0 ? undefined : i);
    expect(table.delete('not-there')).toBe(false);
    expect(table.size).toBe(2500);
  });
});
