import { describe, expect, it } from 'vitest';
import { SnapshotCache, TtlCache } from '../../shared/lifecycle/snapshot-cache.js';

describe('instance caches', () => {
  it('SnapshotCache keeps the most recently used entries up to its capacity', async () => {
    const c = new SnapshotCache<string>(2);
    c.set(1, 'a');
    c.set(2, 'b');
    expect(c.get(1)).toBe('a');
    c.set(3, 'c');
    expect(c.get(2)).toBeUndefined();
    let loads = 0;
    expect(await c.getOrLoad(1, async () => `x${++loads}`)).toBe('a');
    expect(await c.getOrLoad(4, async () => `x${++loads}`)).toBe('x1');
    expect(loads).toBe(1);
  });
  it('TtlCache re-reads after the TTL, shares one load in flight, and forgets failures', async () => {
    let t = 0;
    const c = new TtlCache<number>(1000, () => t);
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([c.get('k', load), c.get('k', load)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    t = 999;
    expect(await c.get('k', load)).toBe(1);
    t = 1000;
    expect(await c.get('k', load)).toBe(2);
    await expect(c.get('bad', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await c.get('bad', load)).toBe(3);
  });
});
