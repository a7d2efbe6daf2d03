/**
 * Frozen snapshots never change, so whatever was derived from one (the stored record, its
 * JSON presentation) can be kept by snapshot id for the life of a function instance. The
 * lookup that finds the id (latest for a race, or race + model version) still goes to the
 * database on every request, so a newer snapshot is seen at once. Bounded, least recently
 * used out first.
 */
export class SnapshotCache<T> {
  private readonly entries = new Map<number, T>();
  constructor(private readonly capacity = 256) {}

  get(id: number): T | undefined {
    const v = this.entries.get(id);
    if (v !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, v);
    }
    return v;
  }

  set(id: number, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  async getOrLoad(id: number, load: () => Promise<T>): Promise<T> {
    const hit = this.get(id);
    if (hit !== undefined) return hit;
    const v = await load();
    this.set(id, v);
    return v;
  }
}
