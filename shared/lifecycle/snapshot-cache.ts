/**
 * Frozen snapshots never change, so whatever was derived from one (the stored record, its
 * JSON presentation) can be kept by snapshot id for the life of a function instance. The
 * lookup that finds the id (latest for a race, or race + model version) still goes to the
 * database on every request, so a newer snapshot is seen at once. Bounded, least recently
 * used out first.
 */
export class SnapshotCache<T, K = number> {
  private readonly entries = new Map<K, T>();
  constructor(private readonly capacity = 256) {}

  get(id: K): T | undefined {
    const v = this.entries.get(id);
    if (v !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, v);
    }
    return v;
  }

  set(id: K, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  async getOrLoad(id: K, load: () => Promise<T>): Promise<T> {
    const hit = this.get(id);
    if (hit !== undefined) return hit;
    const v = await load();
    this.set(id, v);
    return v;
  }
}

/**
 * Values that may change but rarely and harmlessly late (the season calendar, the current
 * model version, which snapshot is the latest of a race): kept `ttlMs`, then re-read.
 */
export class TtlCache<V, K = string | number> {
  private readonly entries = new Map<K, { at: number; value: Promise<V> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    const t = this.now();
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: t, value });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 1024) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
