import { describe, expect, it } from 'vitest';
import { LruCache } from '../../shared/cache/lru-cache.js';
import { TtlCache } from '../../shared/cache/ttl-cache.js';

describe('LruCache', () => {
  it('holds at most its capacity, dropping the least recently used', async () => {
    const cache = new LruCache<unknown>(2);
    const computed: string[] = [];
    const get = (k: string) => cache.getOrLoad(k, async () => (computed.push(k), k));
    await get('a');
    await get('b');
    await get('a'); // a is now the most recent
    await get('c'); // drops b
    await get('a');
    await get('b');
    expect(computed).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.size).toBe(2);
  });

  it('runs one computation for callers that arrive while it is in flight, and forgets a failure', async () => {
    const cache = new LruCache<unknown>(4);
    let runs = 0;
    let release!: (v: number) => void;
    const slow = () => (runs++, new Promise<number>((r) => (release = r)));
    const waiting = [cache.getOrLoad('k', slow), cache.getOrLoad('k', slow), cache.getOrLoad('k', slow)];
    release(7);
    expect(await Promise.all(waiting)).toEqual([7, 7, 7]);
    expect(runs).toBe(1);

    const failing = () => (runs++, Promise.reject(new Error('database down')));
    await expect(cache.getOrLoad('f', failing)).rejects.toThrow('database down');
    await expect(cache.getOrLoad('f', failing)).rejects.toThrow('database down');
    expect(runs).toBe(3);
  });

  it('keeps nothing at capacity 0', async () => {
    const cache = new LruCache<unknown>(0);
    let runs = 0;
    await cache.getOrLoad('k', async () => runs++);
    await cache.getOrLoad('k', async () => runs++);
    expect(runs).toBe(2);
  });

  it('does not keep a miss: a load that finds nothing runs again next time', async () => {
    const cache = new LruCache<string | undefined>(4);
    let runs = 0;
    expect(await cache.getOrLoad('k', async () => (runs++, undefined))).toBeUndefined();
    expect(await cache.getOrLoad('k', async () => (runs++, 'found'))).toBe('found');
    expect(await cache.getOrLoad('k', async () => (runs++, 'again'))).toBe('found');
    expect(runs).toBe(2);
  });
});

describe('TtlCache', () => {
  it('re-reads after the TTL, shares one load in flight, and forgets failures', async () => {
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
