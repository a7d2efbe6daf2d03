/**
 * Pit forecasts of a stored race are a pure function of the race's laps and the model, and
 * a timeline costs hundreds of milliseconds of CPU: computed once per (race, model version,
 * view) and kept, least recently used out first. The model version is part of every key,
 * so a newly published model is never served from an old entry. The entry is the promise,
 * so concurrent identical requests share one computation (single flight); a computation
 * that fails is dropped so the next request tries again. Capacity 0 turns caching off.
 */
export class ForecastCache {
  private readonly entries = new Map<string, Promise<unknown>>();
  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  getOrCompute<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key) as Promise<T> | undefined;
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = compute();
    if (this.capacity <= 0) return value;
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    value.catch(() => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    });
    return value;
  }
}

export const timelineKey = (raceId: number, modelVersion: string) => `timeline/${raceId}/${modelVersion}`;
export const lapKey = (raceId: number, modelVersion: string, lap: number) => `lap/${raceId}/${modelVersion}/${lap}`;
