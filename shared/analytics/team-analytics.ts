import { median, slope } from '../evaluation/metrics.js';
import type { SeasonData } from './inputs.js';
import { raceRef, seasonFigures } from './season-figures.js';

const bestMs = (q: { q1Ms: number | null; q2Ms: number | null; q3Ms: number | null }) => {
  const times = [q.q1Ms, q.q2Ms, q.q3Ms].filter((t): t is number => t != null && t > 0);
  return times.length ? Math.min(...times) : null;
};

/**
 * The team's development over the season: per round, its better car's best qualifying lap
 * against pole (percent), and the least-squares slope of that gap over the rounds
 * (percentage points per round; negative: closing on pole).
 */
export function developmentTrend(data: SeasonData, teamId: number) {
  const perRound = data.races.flatMap((race) => {
    const field = data.qualifying.filter((q) => q.raceId === race.id);
    const pole = Math.min(...field.map((q) => bestMs(q) ?? Infinity));
    const team = Math.min(...field.filter((q) => q.constructorId === teamId).map((q) => bestMs(q) ?? Infinity));
    if (!Number.isFinite(pole) || !Number.isFinite(team)) return [];
    return [{ ...raceRef(race), gapToPolePct: Math.round(((team - pole) / pole) * 100_000) / 1000 }];
  });
  const s = slope(perRound.map((r) => r.round), perRound.map((r) => r.gapToPolePct));
  return {
    medianGapToPolePct: perRound.length ? median(perRound.map((r) => r.gapToPolePct)) : null,
    slopePctPerRound: Number.isFinite(s) ? Math.round(s * 10_000) / 10_000 : null,
    races: perRound.length,
    reason: perRound.length === 0 ? `no qualifying times stored for ${data.season}` : Number.isFinite(s) ? null : 'fewer than 3 rounds with qualifying times: no slope',
    perRound,
  };
}

/**
 * The team's drivers in the season: races started for the team and points scored for it, in
 * races and sprints (so they add up to the team's points but for constructor penalties).
 */
export function teamDrivers(data: SeasonData, teamId: number) {
  const rows = data.results.filter((r) => r.constructorId === teamId);
  const sprints = data.sprintResults.filter((r) => r.constructorId === teamId);
  const ids = [...new Set([...rows.map((r) => r.driverId), ...data.qualifying.filter((q) => q.constructorId === teamId).map((q) => q.driverId)])];
  const pointsOf = (driverId: number) => [...rows, ...sprints].reduce((s, r) => (r.driverId === driverId ? s + r.points : s), 0);
  return ids
    .map((driverId) => ({ driverId, races: rows.filter((r) => r.driverId === driverId).length, points: pointsOf(driverId) }))
    .sort((a, b) => b.races - a.races || b.points - a.points);
}

/** Everything the team page shows for one season: the shared figures over both cars, its drivers and its development. */
export function teamAnalytics(data: SeasonData, teamId: number) {
  return { ...seasonFigures(data, { kind: 'team', id: teamId }), drivers: teamDrivers(data, teamId), developmentTrend: developmentTrend(data, teamId) };
}
