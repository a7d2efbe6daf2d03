import type { Clock } from '../../shared/clock.js';

/** A clock whose sleep advances virtual time at once: pacing and backoff cost no real time. */
export function virtualClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock & { elapsed(): number; sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    kind: 'simulated',
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
    elapsed: () => now - start,
    sleeps,
  };
}
