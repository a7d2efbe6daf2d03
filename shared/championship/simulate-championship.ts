import { seededRandom } from '../evaluation/bootstrap.js';
import { drawOrder } from '../models/race/simulate.js';
import type { RacePoints } from './points-system.js';

/**
 * The championship Monte Carlo: each sampled season adds the simulated points of every
 * remaining race (and sprint) to the current standings, then ranks drivers and constructors.
 * A race is drawn as the race model draws it (models/race/simulate.ts): each entrant retires
 * with its P(DNF), a finisher's race goes wrong with P(bad race) (it runs at the field's weakest
 * strength), and the finishing order is Plackett–Luce by the Gumbel-max trick. A sprint is a
 * second draw from the same strengths. The fastest lap (seasons that score it) goes to a
 * finisher drawn Plackett–Luce from the same strengths, scoring when it finished in the top ten.
 * Constructors score both cars' points.
 *
 * Ties on points are broken by the count of wins (the standings' wins plus simulated ones),
 * then at random: the real rule's countback of second places and on is not simulated.
 */

export interface SimEntrant {
  driverId: number;
  constructorId: number;
  strength: number;
  pDnf: number;
}

export interface RemainingRace {
  round: number;
  entrants: readonly SimEntrant[];
  points: RacePoints;
  /** The sprint's points table when the weekend has a sprint still to run, else null. */
  sprint: readonly number[] | null;
  /** P(a finisher's race goes wrong), the learner's choice (pool badRace). */
  badRace: number;
}

export interface Standing {
  id: number;
  points: number;
  wins: number;
}

export interface ChampionshipInput {
  drivers: readonly Standing[];
  constructors: readonly Standing[];
  remaining: readonly RemainingRace[];
  samples: number;
  seed: number;
  /**
   * SD of a season-long change of strength drawn once per simulated season (half its variance
   * per team, shared by both cars, half per driver): the strengths are estimates, and a car is
   * developed through the season, so the rest of a season is less certain than its races drawn
   * independently from today's strengths would say. 0 = today's strengths to the end.
   */
  strengthSd?: number;
}

export interface PointsHistogram {
  /** Lower edge of the first bin, and the bins' width, in points. */
  from: number;
  width: number;
  /** Share of sampled seasons in each bin. */
  shares: number[];
}

export interface EntityOdds {
  id: number;
  currentPoints: number;
  pTitle: number;
  pTop3: number;
  expectedPoints: number;
  p10: number;
  p50: number;
  p90: number;
  histogram: PointsHistogram;
}

export interface ChampionshipOdds {
  samples: number;
  drivers: EntityOdds[];
  constructors: EntityOdds[];
}

/** Bins of the points histogram: coarse, about this many over an entity's own range. */
const HISTOGRAM_BINS = 12;

export function simulateChampionship(input: ChampionshipInput): ChampionshipOdds {
  const { samples } = input;
  if (!(Number.isInteger(samples) && samples > 0)) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const rand = seededRandom(input.seed);
  const drivers = tableOf(input.drivers, input.remaining.flatMap((r) => r.entrants.map((e) => e.driverId)));
  const teams = tableOf(input.constructors, input.remaining.flatMap((r) => r.entrants.map((e) => e.constructorId)));
  const dFinal = Array.from(drivers.ids, () => new Float64Array(samples));
  const cFinal = Array.from(teams.ids, () => new Float64Array(samples));
  const dTitle = new Float64Array(drivers.ids.length);
  const dTop3 = new Float64Array(drivers.ids.length);
  const cTitle = new Float64Array(teams.ids.length);
  const cTop3 = new Float64Array(teams.ids.length);
  const races = input.remaining.map((r) => ({
    ...r,
    d: r.entrants.map((e) => drivers.index.get(e.driverId)!),
    c: r.entrants.map((e) => teams.index.get(e.constructorId)!),
    strengths: r.entrants.map((e) => e.strength),
    pDnf: Float64Array.from(r.entrants, (e) => e.pDnf),
    now: new Float64Array(r.entrants.length),
  }));
  const sd = (input.strengthSd ?? 0) / Math.SQRT2;
  const dShock = new Float64Array(drivers.ids.length);
  const cShock = new Float64Array(teams.ids.length);
  const dPts = new Float64Array(drivers.ids.length);
  const dWins = new Float64Array(drivers.ids.length);
  const cPts = new Float64Array(teams.ids.length);
  const cWins = new Float64Array(teams.ids.length);
  const n = Math.max(0, ...races.map((r) => r.entrants.length));
  const keys = new Float64Array(n);
  const order: number[] = [];

  for (let s = 0; s < samples; s++) {
    dPts.set(drivers.points);
    dWins.set(drivers.wins);
    cPts.set(teams.points);
    cWins.set(teams.wins);
    if (sd > 0) {
      for (let i = 0; i < dShock.length; i++) dShock[i] = sd * normal(rand);
      for (let i = 0; i < cShock.length; i++) cShock[i] = sd * normal(rand);
    }
    for (const race of races) {
      let weakest = Infinity;
      for (let i = 0; i < race.now.length; i++) {
        race.now[i] = race.strengths[i]! + dShock[race.d[i]!]! + cShock[race.c[i]!]!;
        weakest = Math.min(weakest, race.now[i]!);
      }
      const score = (table: readonly number[], grandPrix: boolean) => {
        const finishers = drawOrder(race.now, race.pDnf, weakest, race.badRace, rand, keys, order);
        for (let p = 0; p < Math.min(table.length, finishers); p++) {
          const i = order[p]!;
          dPts[race.d[i]!]! += table[p]!;
          cPts[race.c[i]!]! += table[p]!;
        }
        if (grandPrix && finishers > 0) {
          dWins[race.d[order[0]!]!]!++;
          cWins[race.c[order[0]!]!]!++;
        }
        const fl = race.points.fastestLap;
        if (grandPrix && fl && finishers > 0) {
          const p = fastestLapPosition(race.now, order, finishers, rand);
          if (p < fl.withinTop) {
            dPts[race.d[order[p]!]!]! += fl.points;
            cPts[race.c[order[p]!]!]! += fl.points;
          }
        }
      };
      if (race.sprint && race.sprint.length) score(race.sprint, false);
      score(race.points.race, true);
    }
    rankInto(dPts, dWins, rand, dTitle, dTop3);
    rankInto(cPts, cWins, rand, cTitle, cTop3);
    for (let i = 0; i < dPts.length; i++) dFinal[i]![s] = dPts[i]!;
    for (let i = 0; i < cPts.length; i++) cFinal[i]![s] = cPts[i]!;
  }
  return {
    samples,
    drivers: summarise(drivers, dFinal, dTitle, dTop3, samples),
    constructors: summarise(teams, cFinal, cTitle, cTop3, samples),
  };
}

interface Table {
  ids: number[];
  index: Map<number, number>;
  points: Float64Array;
  wins: Float64Array;
}

/** Everyone in the standings, and every entrant of a remaining race not yet in them (on 0 points). */
function tableOf(standings: readonly Standing[], entrants: readonly number[]): Table {
  const ids = [...new Set([...standings.map((s) => s.id), ...entrants])];
  const byId = new Map(standings.map((s) => [s.id, s]));
  return {
    ids,
    index: new Map(ids.map((id, i) => [id, i])),
    points: Float64Array.from(ids, (id) => byId.get(id)?.points ?? 0),
    wins: Float64Array.from(ids, (id) => byId.get(id)?.wins ?? 0),
  };
}

/** The finishing position (0-based) of the fastest lap's driver: a Plackett–Luce winner among the finishers. */
function fastestLapPosition(strengths: ArrayLike<number>, order: readonly number[], finishers: number, rand: () => number): number {
  let best = 0;
  let bestKey = -Infinity;
  for (let p = 0; p < finishers; p++) {
    const k = strengths[order[p]!]! - Math.log(-Math.log(rand() || Number.MIN_VALUE));
    if (k > bestKey) {
      bestKey = k;
      best = p;
    }
  }
  return best;
}

/** A standard normal draw (Box–Muller). */
const normal = (rand: () => number) => Math.sqrt(-2 * Math.log(rand() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * rand());

/** Counts the champion and the top three of one sampled season: points, then wins, then a random draw. */
function rankInto(points: Float64Array, wins: Float64Array, rand: () => number, title: Float64Array, top3: Float64Array): void {
  const n = points.length;
  if (n === 0) return;
  const lots = Array.from({ length: n }, () => rand());
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => points[b]! - points[a]! || wins[b]! - wins[a]! || lots[b]! - lots[a]!);
  title[idx[0]!]!++;
  for (let k = 0; k < Math.min(3, n); k++) top3[idx[k]!]!++;
}

function summarise(table: Table, finals: Float64Array[], title: Float64Array, top3: Float64Array, samples: number): EntityOdds[] {
  return table.ids
    .map((id, i) => {
      const sorted = Float64Array.from(finals[i]!).sort();
      const q = (x: number) => sorted[Math.min(samples - 1, Math.floor(x * samples))]!;
      let sum = 0;
      for (const v of sorted) sum += v;
      return {
        id,
        currentPoints: table.points[i]!,
        pTitle: title[i]! / samples,
        pTop3: top3[i]! / samples,
        expectedPoints: sum / samples,
        p10: q(0.1),
        p50: q(0.5),
        p90: q(0.9),
        histogram: histogramOf(sorted),
      };
    })
    .sort((a, b) => b.pTitle - a.pTitle || b.expectedPoints - a.expectedPoints || a.id - b.id);
}

/** Shares of the sampled final points in about HISTOGRAM_BINS bins of a round width (1, 2, 5, 10, 25, 50... points). */
export function histogramOf(sorted: Float64Array): PointsHistogram {
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  const raw = Math.max(1, (hi - lo) / HISTOGRAM_BINS);
  const width = [1, 2, 5, 10, 25, 50, 100, 250].find((w) => w >= raw) ?? Math.ceil(raw);
  const from = Math.floor(lo / width) * width;
  const shares = new Array<number>(Math.floor((hi - from) / width) + 1).fill(0);
  for (const v of sorted) shares[Math.floor((v - from) / width)]! += 1 / sorted.length;
  return { from, width, shares };
}
