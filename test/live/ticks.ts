import type { LiveTick } from '../../shared/live/types.js';

/**
 * A synthetic live tick at `lap` of a race whose cars are `drivers` (in their starting
 * order): the leader's win probability grows with the laps run, the rest share what is left,
 * so a chart over laps has something to draw. `at` advances 90 s a lap from the start.
 */
export function tickAt(race: { id: number; season: number; round: number }, drivers: readonly number[], lap: number, options: { totalLaps?: number; start?: string; at?: string; teamOf?: ReadonlyMap<number, number> } = {}): LiveTick {
  const totalLaps = options.totalLaps ?? 57;
  const start = Date.parse(options.start ?? `${race.season}-03-03T15:00:00Z`);
  const lead = Math.min(0.95, 0.3 + (0.6 * lap) / totalLaps);
  const rest = (1 - lead) / Math.max(1, drivers.length - 1);
  return {
    raceId: race.id,
    season: race.season,
    round: race.round,
    at: options.at ?? new Date(start + lap * 90_000).toISOString(),
    state: {
      raceId: race.id,
      totalLaps,
      lap,
      trackStatus: lap % 10 === 7 ? 'sc' : 'green',
      cars: drivers.map((driverId, i) => ({
        driverId, constructorId: options.teamOf?.get(driverId) ?? null, position: i + 1, lapsCompleted: lap,
        gapToLeaderMs: i === 0 ? null : i * 1_500 + lap * 10, intervalMs: i === 0 ? null : 1_500 + lap,
        lastLapMs: 91_000 + i * 100, compound: lap < 20 ? 'MEDIUM' : 'HARD', tyreLife: lap < 20 ? lap : lap - 20, stops: lap < 20 ? 0 : 1, retired: false,
      })),
    },
    pits: drivers.map((driverId, i) => ({ driverId, within1: 0.02 + i * 0.01, within3: 0.1 + i * 0.02, within5: 0.2 + i * 0.03, alarm: false })),
    pitModelVersion: 'pit-test',
    finish: drivers.map((driverId, i) => ({ driverId, win: i === 0 ? lead : rest, podium: Math.min(1, (i === 0 ? lead : rest) * 3), points: 0.9, expectedPosition: i + 1 })),
    finishBasis: lap === 0 ? 'pre-race' : 'live',
    source: 'replay',
  };
}
