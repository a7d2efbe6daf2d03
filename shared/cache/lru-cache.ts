/**
 * What a function instance derives once and keeps: a frozen snapshot's record and JSON, a
 * stored race's pit forecasts. The entry is the promise, so concurrent callers of one key
 * share one load (single flight); a load that fails, or finds nothing (undefined), is
 * dropped so the next caller tries again. Bounded, least recently used out first; capacity 0 keeps nothing.
 */
export class LruCache<V, K = string | number> {
  private readonly entries = new Map<K, Promise<V>>();
  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = load();
    if (this.capacity <= 0) return value;
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    const drop = () => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    };
    value.then((v) => v === undefined && drop(), drop);
    return value;
  }
}
