import { sigmoid } from './calibrate.js';
import { simulateRace } from './simulate.js';

/**
 * The race model's in-season update: a small log-linear pool of the grid and the network,
 * refitted after every race. A driver's Plackett–Luce strength is
 *
 *   s = Σ_g c_g·grid_g + b·(net − mean net)
 *
 * where grid_g are the grid-slot lookup's terms for the driver's qualifying slot (the grid
 * proxy at the freeze; pooled-model.ts) and net the network's strength. With b = 0 this is
 * a grid-slot model, so where the network's evidence is thin or wrong (a new season, a reset,
 * a form leader who stopped winning) the fit pulls b toward 0 and the forecast falls back to
 * the grid; where form has told, b grows. The coefficients are fitted by weighted maximum
 * likelihood (place-weighted Plackett–Luce terms of the first finishers, Newton's method)
 * on the races before the forecast race, each weighted 2^(−age / halfLife) in races, with a
 * ridge on b. On top, per-team offsets fitted on the latest races (a new pecking order that
 * the network's decayed form sees late), ridged toward 0 so a new or renamed team has none.
 * The DNF probability is σ(d0 + d1·dnfLogit), fitted the same way. The half-life and the
 * team offsets' setting (or none) are chosen prequentially: the candidate whose
 * one-step-ahead forecasts of the earlier races scored best (PoolLearner), so no setting is
 * tuned on the race it forecasts.
 */

/** One past race as the pool learns from it: what was known at the freeze and how it ended. */
export interface PoolEvidence {
  raceId: number;
  /** The race's simulation seed (race-features.ts raceSeed); evidence stored before it had none and draws by raceId. */
  seed?: number;
  /** Grid terms per entrant (the same terms, in the same order, for every race). */
  grid: number[][];
  /** Each entrant's team (constructor id). */
  teams: number[];
  /** The network's strength and DNF logit per entrant, out of sample. */
  net: number[];
  dnfLogit: number[];
  /** Entrant indices of the classified finishers, in finishing order. */
  finishers: number[];
  /** Per entrant: 1 = started and not classified, 0 = classified, null = no result row. */
  dnf: (0 | 1 | null)[];
}

export type PoolInputsOf = Pick<PoolEvidence, 'grid' | 'net' | 'teams'>;

export interface PoolCoefficients {
  /** The grid terms' coefficients, then b, the network's. */
  strength: number[];
  /** [d0, d1] */
  dnf: [number, number];
  /** Strength offsets by team (constructor id) learnt from the latest races; absent team = 0. */
  teamOffsets?: Record<string, number>;
}

export interface PoolState extends PoolCoefficients {
  halfLife: number;
  /** The simulation's bad-race probability; absent in pools stored before it was chosen (0.1 then). */
  badRace?: number;
  /** Races the learner has seen (the last one is the latest result it learnt from). */
  races: number;
}

/** What a pool has chosen, as reports and the model registry show it. */
export interface PoolSummary {
  /** The grid terms' coefficients, then the network's weight b. */
  coefficients: number[];
  halfLife: number;
  teamOffsets: boolean;
  badRace: number | null;
}

export const poolSummary = (p: PoolState): PoolSummary => ({ coefficients: p.strength, halfLife: p.halfLife, teamOffsets: Boolean(p.teamOffsets), badRace: p.badRace ?? null });

export interface PoolSettings {
  /** Candidate half-lives in races; the learner picks one prequentially. */
  halfLives: readonly number[];
  /** Ridge on the network weight b (toward 0, the grid alone). */
  ridgeNetwork: number;
  /** Races the learner fits on before it starts scoring the candidates. */
  burnIn: number;
  /** The pool's starting coefficients (grid terms, then b): the grid lookup's strengths, the network off. */
  start: number[];
  /** Weight of the Plackett–Luce term of each place (1st, 2nd, ...); places beyond carry none. */
  placeWeights: number[];
  /** Candidate (half-life, ridge) settings of the team offsets, beside "no offsets"; chosen prequentially too. */
  teamCandidates: { halfLife: number; ridge: number }[];
  /**
   * Candidate bad-race probabilities of the simulation (see simulateRace), chosen prequentially
   * on the simulated win, podium and top-10 log loss; the first is used until there is a score.
   */
  badRaces: number[];
}

/**
 * Chosen on the 2008–2013 validation backtest (see the README): the first three places
 * weighted 3, 1, 1 (winner NLL 0.966 × the lookup's, against 1.001 for the top 10 equally
 * weighted); ridge 1 on b (0.1, 10, 50 level or worse); half-lives 8–64 races. The pool
 * starts as the lookup's win probabilities (log P(win) at 1, log slot and b at 0).
 */
export const defaultPoolSettings: PoolSettings = {
  halfLives: [8, 16, 32, 64],
  ridgeNetwork: 1,
  burnIn: 20,
  start: [1, 0, 0],
  placeWeights: [3, 1, 1],
  teamCandidates: [
    { halfLife: 4, ridge: 4 },
    { halfLife: 8, ridge: 2 },
    { halfLife: 8, ridge: 8 },
    { halfLife: 16, ridge: 4 },
    { halfLife: 32, ridge: 16 },
  ],
  badRaces: [0.1, 0, 0.05, 0.15],
};

const RIDGE = 1e-3;
const MAX_RACES = 300;

const startOf = (settings: PoolSettings): PoolCoefficients => ({ strength: [...settings.start], dnf: [-2.2, 0] });

function designRows(e: PoolInputsOf): number[][] {
  const m = avg(e.net);
  return e.grid.map((g, i) => [...g, e.net[i]! - m]);
}

const avg = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const dot = (x: readonly number[], c: readonly number[]) => x.reduce((s, v, k) => s + v * c[k]!, 0);

/** Strengths of a race's entrants under the coefficients. */
export function poolStrengths(c: PoolCoefficients, e: PoolInputsOf): number[] {
  const off = c.teamOffsets;
  return designRows(e).map((x, i) => dot(x, c.strength) + (off?.[String(e.teams[i])] ?? 0));
}

/**
 * Team offsets on top of fixed strengths: Newton on the place-weighted Plackett–Luce
 * likelihood of the latest races (weighted by a short half-life), ridged toward 0, so a team
 * that has not raced lately, or is new, has none. Offsets are a change of pecking order the
 * network's decayed form features are slow to see.
 */
export function fitTeamOffsets(races: readonly PoolEvidence[], base: PoolCoefficients, halfLife: number, ridge: number, placeWeights: readonly number[]): Record<string, number> {
  const recent = races.slice(-Math.ceil(halfLife * 6));
  const w = recencyWeights(recent.length, halfLife);
  const baseStrength = recent.map((e) => poolStrengths({ ...base, teamOffsets: {} }, e));
  const teams = [...new Set(recent.flatMap((e) => e.teams))];
  const col = new Map(teams.map((t, k) => [t, k]));
  const objective = (delta: readonly number[], derivatives: boolean): Objective => {
    let value = -(ridge / 2) * delta.reduce((sum, v) => sum + v * v, 0);
    const g = delta.map((v) => -ridge * v);
    const h = Array.from({ length: teams.length }, (_, a) => Array.from({ length: teams.length }, (__, b) => (a === b ? -ridge : 0)));
    recent.forEach((e, r) => {
      const f = e.finishers;
      const s = baseStrength[r]!.map((v, i) => v + delta[col.get(e.teams[i]!)!]!);
      const mass = new Array<number>(teams.length);
      for (let k = 0; k < Math.min(placeWeights.length, f.length - 1); k++) {
        const wk = w[r]! * placeWeights[k]!;
        let mx = -Infinity;
        for (let j = k; j < f.length; j++) mx = Math.max(mx, s[f[j]!]!);
        let z = 0;
        mass.fill(0);
        for (let j = k; j < f.length; j++) {
          const p = Math.exp(s[f[j]!]! - mx);
          z += p;
          mass[col.get(e.teams[f[j]!]!)!]! += p;
        }
        value += wk * (s[f[k]!]! - mx - Math.log(z));
        if (!derivatives) continue;
        g[col.get(e.teams[f[k]!]!)!]! += wk;
        for (let a = 0; a < teams.length; a++) {
          if (!mass[a]) continue;
          const pa = mass[a]! / z;
          g[a]! -= wk * pa;
          h[a]![a]! -= wk * pa;
          for (let b = 0; b < teams.length; b++) if (mass[b]) h[a]![b]! += wk * pa * (mass[b]! / z);
        }
      }
    });
    return { value, g, h };
  };
  const d = maximise(new Array<number>(teams.length).fill(0), objective, 1e-7, 20);
  return Object.fromEntries(teams.map((t, k) => [String(t), d[k]!]));
}

export function poolDnf(c: PoolCoefficients, dnfLogit: readonly number[]): number[] {
  return dnfLogit.map((z) => sigmoid(c.dnf[0] + c.dnf[1] * z));
}

/** Place-weighted Plackett–Luce log-likelihood of one race's finishers under strengths s. */
export function finishLogLik(s: readonly number[], finishers: readonly number[], placeWeights: readonly number[]): number {
  let ll = 0;
  for (let k = 0; k < Math.min(placeWeights.length, finishers.length - 1); k++) {
    let mx = -Infinity;
    for (let j = k; j < finishers.length; j++) mx = Math.max(mx, s[finishers[j]!]!);
    let z = 0;
    for (let j = k; j < finishers.length; j++) z += Math.exp(s[finishers[j]!]! - mx);
    ll += placeWeights[k]! * (s[finishers[k]!]! - mx - Math.log(z));
  }
  return ll;
}

function solve(h: number[][], g: number[]): number[] {
  // Gaussian elimination with partial pivoting on a small dense system.
  const n = g.length;
  const a = h.map((row, i) => [...row, g[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-12) return new Array<number>(n).fill(0);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / d;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

interface Objective {
  value: number;
  g: number[];
  h: number[][];
}

/**
 * Newton's method with step halving for a concave objective (a plain Newton step overshoots
 * from a far start). `f(c, false)` may leave the derivatives out.
 */
function maximise(start: readonly number[], f: (c: readonly number[], derivatives: boolean) => Objective, tolerance = 1e-7, iterations = 30): number[] {
  let c = [...start];
  let cur = f(c, true);
  for (let it = 0; it < iterations; it++) {
    const step = solve(cur.h.map((row) => row.map((v) => -v)), cur.g);
    let t = 1;
    let next = c;
    let value = -Infinity;
    for (let half = 0; half < 20; half++, t /= 2) {
      next = c.map((v, a) => v + t * step[a]!);
      value = f(next, false).value;
      if (value >= cur.value - 1e-12) break;
    }
    if (!(value >= cur.value - 1e-12)) break;
    c = next;
    cur = f(c, true);
    if (step.reduce((sum, v) => sum + Math.abs(t * v), 0) < tolerance) break;
  }
  return c;
}

/** Weighted, ridged, place-weighted Plackett–Luce log-likelihood with its gradient and Hessian. */
function strengthObjective(design: readonly number[][][], races: readonly PoolEvidence[], w: readonly number[], c: readonly number[], ridgeNetwork: number, derivatives: boolean, placeWeights: readonly number[]) {
  const P = c.length;
  let value = 0;
  const g = new Array<number>(P).fill(0);
  const h = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  const mean = new Array<number>(P);
  const second = Array.from({ length: P }, () => new Array<number>(P));
  races.forEach((e, r) => {
    const wr = w[r]!;
    if (wr < 1e-6) return;
    const X = design[r]!;
    const s = X.map((x) => dot(x, c));
    const f = e.finishers;
    for (let k = 0; k < Math.min(placeWeights.length, f.length - 1); k++) {
      const wk = wr * placeWeights[k]!;
      let mx = -Infinity;
      for (let j = k; j < f.length; j++) mx = Math.max(mx, s[f[j]!]!);
      let z = 0;
      mean.fill(0);
      for (const row of second) row.fill(0);
      for (let j = k; j < f.length; j++) {
        const p = Math.exp(s[f[j]!]! - mx);
        z += p;
        if (!derivatives) continue;
        const x = X[f[j]!]!;
        for (let a = 0; a < P; a++) {
          mean[a]! += p * x[a]!;
          for (let b = a; b < P; b++) second[a]![b]! += p * x[a]! * x[b]!;
        }
      }
      value += wk * (s[f[k]!]! - mx - Math.log(z));
      if (!derivatives) continue;
      const xk = X[f[k]!]!;
      for (let a = 0; a < P; a++) {
        const ma = mean[a]! / z;
        g[a]! += wk * (xk[a]! - ma);
        for (let b = a; b < P; b++) h[a]![b]! -= wk * (second[a]![b]! / z - ma * (mean[b]! / z));
      }
    }
  });
  for (let a = 0; a < P; a++) {
    const ridge = a === P - 1 ? ridgeNetwork : RIDGE;
    value -= (ridge / 2) * c[a]! ** 2;
    g[a]! -= ridge * c[a]!;
    h[a]![a]! -= ridge;
    for (let b = 0; b < a; b++) h[a]![b] = h[b]![a]!;
  }
  return { value, g, h };
}

function fitStrength(races: readonly PoolEvidence[], w: readonly number[], start: readonly number[], ridgeNetwork: number, placeWeights: readonly number[]): number[] {
  const design = races.map(designRows);
  return maximise(start, (c, derivatives) => strengthObjective(design, races, w, c, ridgeNetwork, derivatives, placeWeights));
}

/** Weighted, ridged logistic log-likelihood of the DNF calibration σ(d0 + d1·z), with gradient and Hessian. */
function dnfObjective(races: readonly PoolEvidence[], w: readonly number[], [a, b]: readonly number[]): Objective {
  let value = -(RIDGE / 2) * (a! * a! + b! * b!);
  const g = [-RIDGE * a!, -RIDGE * b!];
  const h = [
    [-RIDGE, 0],
    [0, -RIDGE],
  ];
  races.forEach((e, r) => {
    const wr = w[r]!;
    if (wr < 1e-6) return;
    e.dnf.forEach((y, i) => {
      if (y === null) return;
      const z = e.dnfLogit[i]!;
      const p = sigmoid(a! + b! * z);
      const q = wr * p * (1 - p);
      value += wr * Math.log(Math.max(1e-12, y ? p : 1 - p));
      g[0]! += wr * (y - p);
      g[1]! += wr * (y - p) * z;
      h[0]![0]! -= q;
      h[0]![1]! -= q * z;
      h[1]![1]! -= q * z * z;
    });
  });
  h[1]![0] = h[0]![1]!;
  return { value, g, h };
}

function fitDnf(races: readonly PoolEvidence[], w: readonly number[], start: PoolCoefficients['dnf']): PoolCoefficients['dnf'] {
  const [d0, d1] = maximise(start, (c) => dnfObjective(races, w, c), 1e-9);
  return [d0!, d1!];
}

/** Recency weights of `n` races in time order: the latest weighs 1, one half-life earlier ½. */
export function recencyWeights(n: number, halfLife: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 ** (-(n - 1 - i) / halfLife));
}

/** Fits the pool on past races (in time order) with one half-life. */
export function fitPool(all: readonly PoolEvidence[], halfLife: number, start: PoolCoefficients, settings: Pick<PoolSettings, 'ridgeNetwork' | 'placeWeights'> = defaultPoolSettings): PoolState {
  // Older races weigh under 2^-(MAX_RACES / halfLife) at the longest half-life: left out, to bound the cost.
  const races = all.slice(-MAX_RACES);
  const w = recencyWeights(races.length, halfLife);
  const usable = races.filter((e) => e.finishers.length >= 2);
  const wu = races.flatMap((e, i) => (e.finishers.length >= 2 ? [w[i]!] : []));
  return {
    strength: usable.length ? fitStrength(usable, wu, start.strength, settings.ridgeNetwork, settings.placeWeights) : start.strength,
    dnf: races.length ? fitDnf(races, w, start.dnf) : start.dnf,
    halfLife,
    races: all.length,
  };
}

/** One-step-ahead score of a race under a fitted pool: finishing log-likelihood plus DNF log-likelihood. */
export function predictiveLogLik(c: PoolCoefficients, e: PoolEvidence, placeWeights: readonly number[]): number {
  let ll = e.finishers.length >= 2 ? finishLogLik(poolStrengths(c, e), e.finishers, placeWeights) : 0;
  poolDnf(c, e.dnfLogit).forEach((p, i) => {
    const y = e.dnf[i];
    if (y === null || y === undefined) return;
    ll += Math.log(Math.min(1 - 1e-6, Math.max(1e-6, y ? p : 1 - p)));
  });
  return ll;
}

/**
 * Rolling, nested choice of the half-life and of the team offsets' setting: every candidate is
 * refitted after each race and scored on the next one step ahead; the pool for the next race
 * uses the candidates with the best prequential score so far (the first `burnIn` races only
 * fit, they are not scored).
 */
export class PoolLearner {
  private readonly scores: Map<number, number>;
  private readonly fits = new Map<number, PoolState>();
  /** Prequential scores of the team-offset candidates (index into settings.teamCandidates; -1 = none). */
  private readonly teamScores: Map<number, number>;
  private teamFits = new Map<number, Record<string, number>>();
  /** Prequential simulated log-likelihood per candidate bad-race probability (in settings order). */
  private readonly badRaceScores = new Map<number, number>();
  private readonly races: PoolEvidence[] = [];
  private seen = 0;

  constructor(private readonly settings: PoolSettings = defaultPoolSettings) {
    this.scores = new Map(settings.halfLives.map((h) => [h, 0]));
    this.teamScores = new Map([-1, ...settings.teamCandidates.keys()].map((k) => [k, 0]));
  }

  private base(): PoolState | undefined {
    if (this.fits.size === 0) return undefined;
    const best = [...this.scores].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    return this.fits.get(best)!;
  }

  private withTeams(base: PoolState, k: number): PoolState {
    const offsets = k >= 0 ? this.teamFits.get(k) : undefined;
    return offsets ? { ...base, teamOffsets: offsets } : base;
  }

  /** The pool to forecast the next race with. */
  current(): PoolState {
    const base = this.base();
    const badRace = [...this.badRaceScores].sort((a, b) => b[1] - a[1])[0]?.[0] ?? this.settings.badRaces[0]!;
    if (!base) return { ...startOf(this.settings), halfLife: this.settings.halfLives[0]!, races: 0, badRace };
    const bestTeam = [...this.teamScores].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    return { ...this.withTeams(base, bestTeam), badRace };
  }

  /** Learns a race's result: scores each candidate on it, then refits every candidate. */
  observe(e: PoolEvidence): void {
    const { halfLives, burnIn, placeWeights, teamCandidates } = this.settings;
    const before = this.base();
    if (this.races.length >= burnIn && before) {
      for (const h of halfLives) {
        const fit = this.fits.get(h);
        if (fit) this.scores.set(h, this.scores.get(h)! + predictiveLogLik(fit, e, placeWeights));
      }
      for (const k of this.teamScores.keys()) this.teamScores.set(k, this.teamScores.get(k)! + predictiveLogLik(this.withTeams(before, k), e, placeWeights));
      const pool = this.current();
      for (const b of this.settings.badRaces) this.badRaceScores.set(b, (this.badRaceScores.get(b) ?? 0) + simulatedLogLik(pool, e, b));
    }
    this.races.push(e);
    // Older races weigh too little to matter (see fitPool): the state stays bounded season after season.
    if (this.races.length > MAX_RACES) this.races.splice(0, this.races.length - MAX_RACES);
    this.seen++;
    for (const h of halfLives) this.fits.set(h, { ...fitPool(this.races, h, this.fits.get(h) ?? startOf(this.settings), this.settings), races: this.seen });
    const base = this.base()!;
    this.teamFits = new Map(teamCandidates.map((c, k) => [k, fitTeamOffsets(this.races, base, c.halfLife, c.ridge, placeWeights)]));
  }

  /** Whether the learner has learnt this race's result. */
  has(raceId: number): boolean {
    return this.races.some((e) => e.raceId === raceId);
  }

  /** Everything the learner holds, as JSON: a model update stores it and the next one resumes from it. */
  snapshot(): PoolLearnerSnapshot {
    return {
      settings: this.settings,
      seen: this.seen,
      races: [...this.races],
      scores: Object.fromEntries(this.scores),
      fits: Object.fromEntries(this.fits),
      teamScores: Object.fromEntries(this.teamScores),
      teamFits: Object.fromEntries(this.teamFits),
      badRaceScores: [...this.badRaceScores],
    };
  }

  static restore(s: PoolLearnerSnapshot): PoolLearner {
    const learner = new PoolLearner(s.settings);
    learner.races.push(...s.races);
    learner.seen = s.seen;
    for (const h of s.settings.halfLives) {
      learner.scores.set(h, s.scores[String(h)] ?? 0);
      const fit = s.fits[String(h)];
      if (fit) learner.fits.set(h, fit);
    }
    for (const k of learner.teamScores.keys()) {
      learner.teamScores.set(k, s.teamScores[String(k)] ?? 0);
      const fit = s.teamFits[String(k)];
      if (fit) learner.teamFits.set(k, fit);
    }
    for (const [b, v] of s.badRaceScores ?? []) learner.badRaceScores.set(b, v);
    return learner;
  }
}

export interface PoolLearnerSnapshot {
  settings: PoolSettings;
  seen: number;
  races: PoolEvidence[];
  scores: Record<string, number>;
  fits: Record<string, PoolState>;
  teamScores: Record<string, number>;
  teamFits: Record<string, Record<string, number>>;
  badRaceScores?: [number, number][];
}

const SCORE_SAMPLES = 1000;

/** Log-likelihood of a race's win, podium and top-10 outcomes under the pool's simulation with bad-race probability b. */
export function simulatedLogLik(c: PoolCoefficients, e: PoolEvidence, b: number): number {
  if (e.finishers.length < 2) return 0;
  const sim = simulateRace({ strengths: poolStrengths(c, e), pDnf: poolDnf(c, e.dnfLogit), gapTable: { gaps: [] }, samples: SCORE_SAMPLES, seed: e.seed ?? e.raceId, badRace: b });
  const place = new Map(e.finishers.map((i, k) => [i, k + 1]));
  const ll = (p: number, y: boolean) => Math.log(Math.min(1 - 1e-4, Math.max(1e-4, y ? p : 1 - p)));
  let sum = 0;
  e.dnf.forEach((y, i) => {
    if (y === null) return;
    // Finishers in order first; retirements behind them (their classification order is not kept here).
    const k = place.get(i) ?? Infinity;
    sum += ll(sim[i]!.pWin, k === 1) + ll(sim[i]!.pPodium, k <= 3) + ll(sim[i]!.pTop10, k <= 10);
  });
  return sum;
}
