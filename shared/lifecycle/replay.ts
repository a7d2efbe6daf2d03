import { sessionStartsAt, type Race } from '../domain/reference.js';
import { freezeWindow, type FreezePolicy } from '../domain/freeze-policy.js';
import type { Progress } from '../log/progress.js';
import { SYNC_AFTER_RACE_HOURS } from '../domain/result-sync.js';
import type { SimulatedClock } from '../clock.js';

export interface ReplayRace {
  round: number;
  race: string;
  raceId: number;
  /** The official snapshot of the race (the one every listing and score uses). */
  predictionId: number | null;
  modelVersion: string | null;
  frozenAt: string | null;
  predictedWinner: string | null;
  actualWinner: string | null;
  winnerCorrect: boolean | null;
  positionMae: number | null;
  brierWin: number | null;
  spearman: number | null;
  gridBaselineMae: number | null;
  gridBaselineWinnerCorrect: boolean | null;
  /** Why a step did not complete (e.g. 409 no entry list, 503 results not published), or that an earlier snapshot counts. */
  note: string | null;
}

export interface ReplayReport {
  season: number;
  /** The model of the first official forecast, with the data it had seen. */
  model: string | null;
  policy: FreezePolicy;
  races: ReplayRace[];
  totals: unknown;
}

interface ReplayDeps {
  baseUrl: string;
  clock: SimulatedClock;
  policy: FreezePolicy;
  /** When set, each race's pre-weekend forecast is frozen first, at its own instant. */
  preWeekendPolicy?: FreezePolicy;
  /** The races of the season, in calendar order. */
  races: Race[];
  headers?: Record<string, string>;
  progress?: Progress;
}

/**
 * Drives the real functions over HTTP through a season with a simulated clock: per race,
 * the clock moves to the freeze instant the policy allows and POST /predict freezes; then
 * to a few hours after the race and POST /results/sync stores the classification, scores
 * and updates the model. Each row is then read back as the API serves it (the official
 * snapshot and its score), so the table, the listings and the season totals
 * (GET /metrics/season/{year}) are the same snapshots by construction.
 */
export async function replaySeason(deps: ReplayDeps, season: number): Promise<ReplayReport> {
  const call = apiCaller(deps.baseUrl, deps.headers);
  const rows: ReplayRace[] = [];
  for (const race of deps.races) {
    const notes: string[] = [];
    deps.progress?.tick(0, race.name);
    if (deps.preWeekendPolicy) {
      deps.clock.set(freezeWindow(race, deps.preWeekendPolicy).allowedAt);
      const early = await call('POST', `/predict?year=${season}&race=${race.round}&policy=pre_weekend`);
      if (early.status !== 200 && early.status !== 201) notes.push(`pre-weekend predict ${early.status}: ${early.body?.error?.message ?? ''}`);
    }
    deps.clock.set(freezeWindow(race, deps.policy).allowedAt);
    const frozen = await call('POST', `/predict?year=${season}&race=${race.round}`);
    if (frozen.status !== 200 && frozen.status !== 201) notes.push(`predict ${frozen.status}: ${frozen.body?.error?.message ?? ''}`);
    else if (!frozen.body!.official) notes.push(`an earlier forecast (not snapshot ${frozen.body!.id} of this replay) is the official one`);
    deps.clock.set(new Date(sessionStartsAt(race.sessions.race).getTime() + SYNC_AFTER_RACE_HOURS * 3600_000));
    const synced = await call('POST', `/results/sync/${season}/${race.round}`);
    if (synced.status !== 200) notes.push(`sync ${synced.status}: ${synced.body?.error?.message ?? ''}`);
    rows.push(await readRaceRow(call, race, notes));
    deps.progress?.tick(1, race.name);
  }
  return seasonReport(call, season, deps.policy, rows);
}

/** A JSON call to the functions as served (shapes in shared/api/schemas.ts; read loosely here). */
export type ApiCall = (method: string, path: string) => Promise<{ status: number; body: Record<string, any> | null }>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function apiCaller(baseUrl: string, headers: Record<string, string> = {}): ApiCall {
  return async (method, path) => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body = (await res.json().catch(() => null)) as Record<string, any> | null;
    return { status: res.status, body };
  };
}

/** A race's row as the API serves it afterwards: its official snapshot, result and score. */
export async function readRaceRow(call: ApiCall, race: Race, notes: string[] = []): Promise<ReplayRace> {
  const row: ReplayRace = {
    round: race.round, race: race.name, raceId: race.id, predictionId: null, modelVersion: null, frozenAt: null, predictedWinner: null, actualWinner: null,
    winnerCorrect: null, positionMae: null, brierWin: null, spearman: null, gridBaselineMae: null, gridBaselineWinnerCorrect: null,
    note: notes.length ? notes.join('; ') : null,
  };
  const [official, results, metrics] = await Promise.all([call('GET', `/predictions/${race.id}`), call('GET', `/results/${race.id}`), call('GET', `/metrics/${race.id}`)]);
  if (official.status === 200) {
    row.predictionId = official.body!.id;
    row.modelVersion = official.body!.modelVersion;
    row.frozenAt = official.body!.snapshotAt;
    row.predictedWinner = official.body!.entries[0]?.driver ?? null;
  }
  row.actualWinner = results.body?.results?.[0]?.driver ?? null;
  if (metrics.status === 200) {
    const e = metrics.body!;
    row.winnerCorrect = e.winnerCorrect;
    row.positionMae = e.positionMae;
    row.brierWin = e.brier.win;
    row.spearman = e.spearman;
    row.gridBaselineMae = e.baseline.positionMae;
    row.gridBaselineWinnerCorrect = e.baseline.winnerCorrect;
  }
  return row;
}

/** The report of a season's rows: the model of its first official forecast, and the season totals as served. */
export async function seasonReport(call: ApiCall, season: number, policy: FreezePolicy, races: ReplayRace[]): Promise<ReplayReport> {
  let model: string | null = null;
  const first = races.find((r) => r.predictionId !== null);
  if (first) {
    const official = await call('GET', `/predictions/${first.raceId}`);
    model = official.body?.model?.label ?? official.body?.modelVersion ?? null;
  }
  const totals = await call('GET', `/metrics/season/${season}`);
  return { season, model, policy, races, totals: totals.body?.totals ?? null };
}

const f = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '—' : x.toFixed(digits));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

/** The season table as plain text. */
export function formatReplay(report: ReplayReport): string {
  const lines: string[] = [];
  lines.push(`Season ${report.season} replay — model ${report.model ?? '—'}, freeze policy ${report.policy.kind}${report.policy.kind === 't_minus' ? ` ${report.policy.minutes} min` : ''}`);
  lines.push('');
  const header = ['Rd', 'Race', 'Predicted winner', 'Actual winner', 'OK', 'MAE', 'Brier(win)', 'Grid MAE'];
  const table = report.races.map((r) => [
    String(r.round), r.race.replace(/ Grand Prix$/, ' GP'), r.predictedWinner ?? '—', r.actualWinner ?? '—',
    r.winnerCorrect === null ? '—' : r.winnerCorrect ? 'yes' : 'no', f(r.positionMae), f(r.brierWin, 4), f(r.gridBaselineMae),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  lines.push(fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(fmt));
  const t = report.totals as { races: number; model: Record<string, number | null>; gridBaseline: Record<string, number | null> } | null;
  if (t) {
    lines.push('');
    lines.push(`Season totals over ${t.races} evaluated races      model     grid baseline`);
    lines.push(`  position MAE                          ${f(t.model.positionMae).padStart(8)}  ${f(t.gridBaseline.positionMae).padStart(12)}`);
    lines.push(`  winner correct                        ${pct(t.model.winnerAccuracy).padStart(8)}  ${pct(t.gridBaseline.winnerAccuracy).padStart(12)}`);
    lines.push(`  Spearman                              ${f(t.model.spearman).padStart(8)}  ${f(t.gridBaseline.spearman).padStart(12)}`);
    lines.push(`  Brier (win)                           ${f(t.model.brierWin, 4).padStart(8)}  ${'—'.padStart(12)}`);
  }
  const notes = report.races.filter((r) => r.note);
  if (notes.length) lines.push('', ...notes.map((r) => `  R${r.round}: ${r.note}`));
  return `${lines.join('\n')}\n`;
}
