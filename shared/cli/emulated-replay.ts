import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAppContext, type AppContext } from '../app/context.js';
import { startDevServer } from '../app/dev-server.js';
import { currentForecaster } from '../app/forecaster.js';
import { functionManifest, type FunctionSpec } from '../app/manifest.js';
import { SimulatedClock } from '../clock.js';
import type { Config } from '../config/config.js';
import { migrateConfigured } from '../db/migrate.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import { startUpstreamEmulator, type EmulatorStats } from '../emulator/upstream-emulator.js';
import { ingestFiles } from '../ingest/ingest.js';
import { apiCaller, readRaceRow, seasonReport, type ReplayReport } from '../lifecycle/replay.js';
import type { Logger } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import { presentPrediction } from '../api/read-api.js';
import { compareSeasonRows, readSeasonRows, type TableComparison } from '../repository/season-rows.js';
import { runJobsUntil, type JobRunStats } from '../scheduler/job-runner.js';
import { InMemoryScheduler } from '../scheduler/memory.js';
import type { JobSpec } from '../scheduler/port.js';
import { recurringJobs } from '../scheduler/recurring.js';
import { prepareLocalStack, replayLocally } from './local-stack.js';

/**
 * `pitwall replay --season S --upstream emulated`: season S through the production path on
 * one machine, beside the dump-based replay of the same season from the same start.
 *
 * 1. A database with only the seasons before S (the dump trimmed to them) and a model trained
 *    on them: the start both replays share (the second is a copy of the first's files).
 * 2. The dump-based replay: the dump's season S ingested (and its lap exports), then freeze →
 *    sync → evaluate → model update race by race, as `pitwall replay` does.
 * 3. The emulated replay: nothing of S is ingested by hand. An upstream emulator serves
 *    Jolpica and OpenF1 responses built from the data, each visible once its session is over
 *    on the simulated clock plus a publishing delay, with seeded 429s and 5xx. Cloud
 *    Scheduler is simulated over the in-memory scheduler: the recurring Terraform jobs (the
 *    daily calendar refresh, the daily result re-check) and every per-race job the schedule
 *    function creates fire at their cron instants, with Scheduler's retries, against the
 *    functions served as `npm start` serves them.
 * 4. The two are compared: each race's frozen forecast and score, and every table's rows of S.
 */

/** Where the per-race jobs think the functions are; the runner maps it onto the local server. */
const FUNCTIONS_BASE = 'https://functions.replay.invalid';

export interface ForecastComparison {
  round: number;
  race: string;
  /** Both replays froze a forecast and scored it. */
  both: boolean;
  /** Same drivers, and every probability, expected position and gap within 1e-9. */
  equal: boolean;
  maxDifference: number;
  /** Where the largest difference is (driver and field). */
  at: string | null;
  sameScore: boolean;
}

export interface EmulatedReplayReport {
  season: number;
  rounds: number;
  emulated: ReplayReport;
  dump: ReplayReport;
  forecasts: ForecastComparison[];
  tables: TableComparison[];
  jobs: JobRunStats & { skippedWeather: number };
  upstream: EmulatorStats;
  /** Wall time of each phase, seconds. */
  seconds: { start: number; dumpReplay: number; emulatedReplay: number; compare: number; total: number };
}

export interface EmulatedReplayOptions {
  /** Only the first N rounds (a quicker run); default every round. */
  rounds?: number;
  /** Where the two databases and their artifacts go (default a new temporary folder, removed after). */
  workDir?: string;
  /** Train a race model on the seasons before (default true); without, both replays forecast by the qualifying-order baseline. */
  train?: boolean;
}

export async function replayEmulated(config: Config, logger: Logger, season: number, options: EmulatedReplayOptions = {}): Promise<EmulatedReplayReport> {
  const t0 = performance.now();
  const elapsed = (since: number) => Math.round((performance.now() - since) / 100) / 10;
  const work = options.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-emulated-')));
  const dump = config.dumpDir ?? path.join(config.dataDir, 'ergast');
  const isolated = (name: string, over: Partial<Config> = {}): Config => ({
    ...config,
    env: 'local',
    database: { kind: 'pglite', dir: path.join(work, name) },
    artifactStoreUri: path.join(work, 'artifacts'),
    httpCacheDir: path.join(work, `http-cache-${name}`),
    functionsBaseUrl: FUNCTIONS_BASE,
    gcp: { ...config.gcp, project: undefined },
    ...over,
  });
  try {
    // 1. The shared start: seasons before S, and a model trained on them.
    const start = await createAppContext(isolated('emulated'), logger);
    try {
      await migrateConfigured(start.config, start.db.knex);
      await mustSucceed(ingestFiles({ repo: start.repo, logger, progress: progressOf(logger) }, { dump, toSeason: season - 1 }), 'the dump up to the season before');
      await prepareLocalStack(start, { train: options.train ?? true, trainedBefore: season });
    } finally {
      await start.close();
    }
    await fs.cp(path.join(work, 'emulated'), path.join(work, 'dump'), { recursive: true });
    const tStart = elapsed(t0);

    // 2. The dump-based replay.
    const t1 = performance.now();
    const byDump = await createAppContext(isolated('dump', { resultsSource: 'dump' }), logger);
    let dumpReport: ReplayReport;
    try {
      await mustSucceed(ingestFiles({ repo: byDump.repo, logger, progress: progressOf(logger) }, { dump }), 'the dump');
      for (const laps of lapExportsOf(config.dataDir)) {
        await mustSucceed(ingestFiles({ repo: byDump.repo, logger, progress: progressOf(logger) }, laps), `the lap exports ${laps.laps}`);
      }
      dumpReport = await replayLocally(byDump, season, options.rounds === undefined ? {} : { rounds: options.rounds });
    } finally {
      await byDump.close();
    }
    const tDump = elapsed(t1);

    // 3. The emulated replay.
    const t2 = performance.now();
    const clock = new SimulatedClock(new Date(Date.UTC(season, 0, 1)));
    // Every season is served (earlier ones long published): the daily re-check reads last season's finale until the
    // first race. Only the OpenF1 data the dump-based path has too (its stints export), so the two can be compared.
    const emulator = await startUpstreamEmulator({ dataDir: config.dataDir, clock, openf1Recordings: false });
    const emulated = await createAppContext(
      isolated('emulated', { jolpicaBaseUrl: emulator.jolpicaBaseUrl, openf1BaseUrl: emulator.openf1BaseUrl, resultsSource: 'jolpica' }),
      logger,
    );
    let emulatedReport: ReplayReport;
    let jobs: EmulatedReplayReport['jobs'];
    let tables: TableComparison[];
    let forecasts: ForecastComparison[];
    let tCompare = 0;
    try {
      const scheduler = new InMemoryScheduler(clock);
      for (const job of recurringJobs(FUNCTIONS_BASE)) await scheduler.create(job);
      const server = await startDevServer({ app: emulated, clock, port: 0, forecaster: currentForecaster(emulated, { trainedBefore: season }), scheduler: async () => scheduler, weather: null });
      try {
        const invoke = localInvoker(server.url);
        let skippedWeather = 0;
        const runner = {
          scheduler, clock, prefix: 'pitwall-',
          // Open-Meteo keeps no archive of past forecasts to emulate: the weather jobs are counted, not called.
          invoke: async (job: JobSpec) => (job.id.endsWith('-weather') ? (skippedWeather++, { status: 204 }) : invoke(job)),
        };
        // Until the calendar is in, then to a week after the last replayed race (the daily re-checks).
        const bar = progressOf(logger)(`emulated ${season}`, 1);
        const first = await runJobsUntil(runner, new Date(Date.UTC(season, 0, 1, 6)));
        const races = (await emulated.repo.races.listSeason(season)).filter((r) => options.rounds === undefined || r.round <= options.rounds);
        if (races.length === 0) throw new Error(`the emulated calendar refresh stored no race of ${season}`);
        const end = new Date(sessionStartsAt(races.at(-1)!.sessions.race).getTime() + 8 * 86_400_000);
        const rest = await runJobsUntil(runner, end);
        bar.stop();
        jobs = { ...mergeStats(first, rest), skippedWeather };

        const call = apiCaller(server.url);
        const rows = [];
        for (const race of races) rows.push(await readRaceRow(call, race, await notesOf(scheduler, race)));
        emulatedReport = await seasonReport(call, season, emulated.config.freezePolicy, rows);
      } finally {
        await server.close();
      }

      // 4. The comparison.
      const t3 = performance.now();
      const byDumpAgain = await createAppContext(isolated('dump'), logger);
      try {
        const scope = options.rounds === undefined ? {} : { rounds: options.rounds };
        tables = compareSeasonRows(await readSeasonRows(emulated.db.knex, season, scope), await readSeasonRows(byDumpAgain.db.knex, season, scope));
        forecasts = await compareForecasts(emulated, byDumpAgain, season, emulatedReport, dumpReport);
      } finally {
        await byDumpAgain.close();
      }
      tCompare = elapsed(t3);
    } finally {
      await emulated.close();
      await emulator.close();
    }
    const tEmulated = elapsed(t2) - tCompare;
    return {
      season, rounds: emulatedReport.races.length, emulated: emulatedReport, dump: dumpReport, forecasts, tables, jobs, upstream: emulator.stats(),
      seconds: { start: tStart, dumpReplay: tDump, emulatedReplay: Math.round(tEmulated * 10) / 10, compare: tCompare, total: elapsed(t0) },
    };
  } finally {
    if (!options.workDir) await fs.rm(work, { recursive: true, force: true });
  }
}

const progressOf = (logger: Logger) => (task: string, total: number) => createProgress(logger, task, total);

async function mustSucceed(outcome: ReturnType<typeof ingestFiles>, what: string): Promise<void> {
  const failed = (await outcome).runs.filter((r) => r.status !== 'succeeded');
  if (failed.length) throw new Error(`ingesting ${what} failed: ${failed.map((r) => r.error).join('; ')}`);
}

/** The season's lap exports that have a real upstream API: Ergast's laps endpoint and OpenF1's stints. */
function lapExportsOf(dataDir: string) {
  return [
    { laps: path.join(dataDir, 'laps', 'ergast-api') },
    { laps: path.join(dataDir, 'laps', 'openf1'), openf1Sessions: path.join(dataDir, 'api-replay', 'openf1', 'POSTED26-F1-Data', 'sessions.json') },
  ];
}

/** Calls a job's target on the one-port dev server: <base>/<function><rest> → <server><mount><rest>. */
function localInvoker(serverUrl: string) {
  return async (job: JobSpec) => {
    const rest = job.uri.slice(FUNCTIONS_BASE.length + 1);
    const name = /^[^/?]+/.exec(rest)?.[0] ?? '';
    const spec: FunctionSpec | undefined = functionManifest.find((f) => f.name === name);
    if (!spec) return { status: 404, message: `no function ${name} in the manifest` };
    const mount = spec.mount === '/' ? '' : spec.mount;
    const res = await fetch(`${serverUrl}${mount}${rest.slice(name.length)}`, {
      method: job.httpMethod,
      ...(job.body ? { body: JSON.stringify(job.body), headers: { 'Content-Type': 'application/json' } } : {}),
    });
    const text = await res.text();
    let message = '';
    if (!res.ok) {
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        message = text;
      }
    }
    return { status: res.status, message };
  };
}

/** Why a race's jobs gave up, from the scheduler's last attempts (what GET /jobs/status shows). */
async function notesOf(scheduler: InMemoryScheduler, race: Race): Promise<string[]> {
  const prefix = `pitwall-race-${race.season}-r${String(race.round).padStart(2, '0')}-`;
  return (await scheduler.states(prefix))
    .filter((s) => s.lastStatus && s.lastStatus.code !== 0)
    .map((s) => `${s.id.slice(prefix.length)}: ${s.lastStatus!.message}`);
}

function mergeStats(a: JobRunStats, b: JobRunStats): JobRunStats {
  const byKind: JobRunStats['byKind'] = structuredClone(a.byKind);
  for (const [k, v] of Object.entries(b.byKind)) {
    const t = (byKind[k] ??= { attempts: 0, failed: 0 });
    t.attempts += v.attempts;
    t.failed += v.failed;
  }
  const byStatus: Record<string, number> = { ...a.byStatus };
  for (const [k, v] of Object.entries(b.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + v;
  return { attempts: a.attempts + b.attempts, retries: a.retries + b.retries, succeeded: a.succeeded + b.succeeded, gaveUp: [...a.gaveUp, ...b.gaveUp], byKind, byStatus };
}

const compared = ['predictedPosition', 'expectedPosition', 'medianPosition', 'gapSeconds', 'pWin', 'pPodium', 'pPoints', 'pDnf'] as const;

/** Each race's official forecast in both databases, entry by entry (matched by driver and team names: ids differ). */
async function compareForecasts(a: AppContext, b: AppContext, season: number, ra: ReplayReport, rb: ReplayReport): Promise<ForecastComparison[]> {
  const present = async (app: AppContext, round: number, predictionId: number | null) => {
    const race = await app.repo.races.bySeasonRound(season, round);
    const p = predictionId === null ? undefined : await app.repo.predictions.byId(predictionId);
    return race && p ? presentPrediction(app.repo, race, p) : undefined;
  };
  const out: ForecastComparison[] = [];
  for (const rowA of ra.races) {
    const rowB = rb.races.find((r) => r.round === rowA.round);
    const [pa, pb] = await Promise.all([present(a, rowA.round, rowA.predictionId), present(b, rowA.round, rowB?.predictionId ?? null)]);
    const sameScore =
      rowA.positionMae === (rowB?.positionMae ?? null) && rowA.brierWin === (rowB?.brierWin ?? null) && rowA.winnerCorrect === (rowB?.winnerCorrect ?? null);
    if (!pa || !pb) {
      out.push({ round: rowA.round, race: rowA.race, both: false, equal: !pa && !pb, maxDifference: 0, at: null, sameScore });
      continue;
    }
    const key = (e: { driver: string; team: string }) => `${e.driver} (${e.team})`;
    const byDriver = new Map(pb.entries.map((e) => [key(e), e]));
    let max = 0;
    let at: string | null = null;
    let sameField = pa.entries.length === pb.entries.length;
    for (const e of pa.entries) {
      const o = byDriver.get(key(e));
      if (!o) {
        sameField = false;
        at = `${key(e)} only in the emulated forecast`;
        continue;
      }
      for (const f of compared) {
        const d = Math.abs((e[f] ?? 0) - (o[f] ?? 0));
        if (d > max) [max, at] = [d, `${key(e)} ${f}`];
      }
    }
    out.push({ round: rowA.round, race: rowA.race, both: true, equal: sameField && max <= 1e-9, maxDifference: max, at, sameScore });
  }
  return out;
}

/** The comparison as text, after the emulated season's table. */
export function formatComparison(r: EmulatedReplayReport): string {
  const lines: string[] = [];
  const equal = r.forecasts.filter((f) => f.both && f.equal).length;
  lines.push('', `Emulated vs dump-based replay of ${r.season}, ${r.rounds} rounds`);
  lines.push(`  frozen forecasts equal: ${equal} of ${r.forecasts.length}; scores equal: ${r.forecasts.filter((f) => f.sameScore).length} of ${r.forecasts.length}`);
  for (const f of r.forecasts.filter((x) => !(x.both && x.equal))) {
    lines.push(`    R${f.round} ${f.race}: ${f.both ? `max difference ${f.maxDifference.toPrecision(3)} at ${f.at}` : 'frozen in one replay only'}`);
  }
  lines.push('', '  table                   emulated      dump     equal  differing  only-emulated  only-dump');
  for (const t of r.tables) {
    lines.push(`  ${t.table.padEnd(22)} ${String(t.left).padStart(9)} ${String(t.right).padStart(9)} ${String(t.equal).padStart(9)} ${String(t.differing).padStart(10)} ${String(t.onlyLeft).padStart(14)} ${String(t.onlyRight).padStart(10)}`);
    const cols = Object.entries(t.columns).map(([c, n]) => `${c} ${n}`).join(', ');
    if (cols) lines.push(`      differing columns: ${cols}; e.g. ${t.examples.map((e) => `${e.key} ${e.column}: ${JSON.stringify(e.left)} vs ${JSON.stringify(e.right)}`).slice(0, 2).join('; ')}`);
  }
  const j = r.jobs;
  lines.push('', `  scheduled calls: ${j.attempts} (${j.retries} retries, ${j.succeeded} succeeded; weather jobs counted, not called: ${j.skippedWeather}); gave up: ${j.gaveUp.length}`);
  lines.push(`    by job: ${Object.entries(j.byKind).map(([k, v]) => `${k} ${v.attempts}${v.failed ? ` (${v.failed} failed)` : ''}`).join(', ')}`);
  const gaveUp = new Map<string, number>();
  for (const g of j.gaveUp) gaveUp.set(g, (gaveUp.get(g) ?? 0) + 1);
  for (const [g, n] of [...gaveUp].slice(0, 10)) lines.push(`    gave up${n > 1 ? ` ×${n}` : ''}: ${g}`);
  const u = r.upstream;
  lines.push(`  upstream requests: ${u.requests} (429: ${u.throttled}, 5xx: ${u.failed}); ${Object.entries(u.byEndpoint).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  wall time: start ${r.seconds.start} s, dump replay ${r.seconds.dumpReplay} s, emulated replay ${r.seconds.emulatedReplay} s, comparison ${r.seconds.compare} s; total ${r.seconds.total} s`);
  return `${lines.join('\n')}\n`;
}
