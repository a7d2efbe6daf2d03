import { describe, expect, it } from 'vitest';
import { rankBaseline, roundAt, type ChampionRankTrace } from '../../shared/championship/rank-baseline.js';

const settings = { alpha: 2, q: 0.5, fromSeason: 1980 };
/** A season whose champion was at `rank` after every round. */
const season = (year: number, rank: number, rounds = 20): ChampionRankTrace => ({ season: year, rounds, championRank: new Array(rounds).fill(rank) });

describe('the "ranks by current points" baseline', () => {
  it('is the smoothed frequency with which each rank became champion in the earlier seasons', () => {
    // Three earlier seasons: two champions led at mid-season, one was second.
    const traces = [season(2000, 1), season(2001, 1), season(2002, 2)];
    const p = rankBaseline(traces, 2003, 0.5, 4, settings);
    const g = [8, 4, 2, 1].map((w) => w / 15); // geometric prior q = 0.5 over 4 ranks
    expect(p).toEqual([0, 1, 2, 3].map((k) => expect.closeTo(([2, 1, 0, 0][k]! + 2 * g[k]!) / 5, 12)));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('never reads the season it scores, nor any later one', () => {
    const earlier = [season(1990, 1), season(1991, 3), season(1992, 1)];
    const base = rankBaseline(earlier, 1993, 1 / 3, 20, settings);
    // Whatever the scored and later seasons hold (here: champions from tenth), the table is the same.
    const withLater = [...earlier, season(1993, 10), season(1994, 10), season(2020, 10)];
    expect(rankBaseline(withLater, 1993, 1 / 3, 20, settings)).toEqual(base);
    // A trace that throws when its ranks are read is never read for the scored season or after.
    const trap = (year: number): ChampionRankTrace => ({ season: year, rounds: 20, get championRank(): number[] { throw new Error(`read ${year}`); } });
    expect(rankBaseline([...earlier, trap(1993), trap(1999)], 1993, 1 / 3, 20, settings)).toEqual(base);
    expect(() => rankBaseline([...earlier, trap(1992.5)], 1993, 1 / 3, 20, settings)).toThrow(/read/);
  });

  it('reads each earlier season at the same share of its own length', () => {
    // Champion 5th after round 6 of 18 (a third), 1st from round 7 on.
    const t: ChampionRankTrace = { season: 2000, rounds: 18, championRank: Array.from({ length: 18 }, (_, i) => (i < 6 ? 5 : 1)) };
    expect(roundAt(1 / 3, 18)).toBe(6);
    expect(roundAt(1 / 3, 20)).toBe(7);
    const p = rankBaseline([t], 2001, 1 / 3, 10, { ...settings, alpha: 0.001 });
    expect(p[4]).toBeGreaterThan(0.99);
  });
});
