import { median } from '../evaluation/metrics.js';
import type { AnalyticsQualifying, SeasonData } from './inputs.js';
import { raceRef, seasonFigures } from './season-figures.js';

/**
 * A qualifying gap beyond this (percent of the teammate's time) is a problem lap (a crash, a
 * red flag, a wet session against a dry one), not pace: the race is counted as excluded.
 */
export const QUALI_GAP_MAX_PCT = 5;

const sessions = [
  ['Q3', 'q3Ms'],
  ['Q2', 'q2Ms'],
  ['Q1', 'q1Ms'],
] as const;

/**
 * The gap of one car's qualifying to its teammate's, in the last session both set a time in
 * (Q3 if both reached it, else Q2, else Q1): the same track, the same part of the session.
 * Negative: faster than the teammate.
 */
export function qualifyingGap(own: AnalyticsQualifying, mate: AnalyticsQualifying): { session: 'Q1' | 'Q2' | 'Q3'; gapMs: number; gapPct: number } | null {
  for (const [session, key] of sessions) {
    const a = own[key];
    const b = mate[key];
    if (a && b) return { session, gapMs: a - b, gapPct: ((a - b) / b) * 100 };
  }
  return null;
}

/** The teammate qualifying gap of a driver over the season: per race, and the medians (% and ms). */
export function teammateQualifyingGap(data: SeasonData, driverId: number) {
  const raceOf = new Map(data.races.map((r) => [r.id, r]));
  const rows = data.qualifying.filter((q) => q.driverId === driverId);
  let excluded = 0;
  const perRace = rows.flatMap((own) => {
    const mate = data.qualifying.find((q) => q.raceId === own.raceId && q.constructorId === own.constructorId && q.driverId !== driverId);
    const race = raceOf.get(own.raceId);
    const gap = mate ? qualifyingGap(own, mate) : null;
    if (!race || !mate || !gap) return [];
    if (Math.abs(gap.gapPct) > QUALI_GAP_MAX_PCT) {
      excluded++;
      return [];
    }
    return [{ ...raceRef(race), teammateId: mate.driverId, session: gap.session, gapMs: gap.gapMs, gapPct: Math.round(gap.gapPct * 1000) / 1000, ahead: own.position < mate.position }];
  }).sort((a, b) => a.round - b.round);
  return {
    medianPct: perRace.length ? Math.round(median(perRace.map((r) => r.gapPct)) * 1000) / 1000 : null,
    medianMs: perRace.length ? Math.round(median(perRace.map((r) => r.gapMs))) : null,
    outqualified: perRace.filter((r) => r.ahead).length,
    excluded,
    races: perRace.length,
    reason: perRace.length ? null : rows.length ? 'no qualifying session in which both teammates set a time' : `no qualifying stored for ${data.season}`,
    perRace,
  };
}

/**
 * The driver's teammates in the season: the drivers of the same constructor in the same race
 * (a stand-in shares the car's race with its other driver, not with the one it replaced),
 * most races together first.
 */
export function teammates(data: Pick<SeasonData, 'results' | 'qualifying'>, driverId: number): number[] {
  const rows = [...data.results, ...data.qualifying];
  const teamIn = new Map(rows.filter((r) => r.driverId === driverId).map((r) => [`${r.raceId}:${r.constructorId}`, r.raceId]));
  const together = new Map<number, Set<number>>();
  for (const r of rows) {
    if (r.driverId === driverId || !teamIn.has(`${r.raceId}:${r.constructorId}`)) continue;
    if (!together.has(r.driverId)) together.set(r.driverId, new Set());
    together.get(r.driverId)!.add(r.raceId);
  }
  return [...together].sort((a, b) => b[1].size - a[1].size || a[0] - b[0]).map(([id]) => id);
}

/** Everything the driver page shows for one season. */
export function driverAnalytics(data: SeasonData, driverId: number) {
  return { ...seasonFigures(data, { kind: 'driver', id: driverId }), teammateQualifyingGap: teammateQualifyingGap(data, driverId) };
}
