// Load benchmark: can one public endpoint starve the service? 50 connections for 20 s on the
// heaviest public read (GET /pits/{raceId}/timeline) and on POST /pits with 30 drivers, while
// a prober measures /health, in two topologies over the same scratch database and artifacts:
// - one process (npm start): `pitwall serve`, every function on one port and one event loop,
//   so /health shares the loop the pit forecasts saturate;
// - as deployed (pits and api apart): functions-framework with FUNCTION_TARGET=pits and
//   FUNCTION_TARGET=api, one process each (as each Cloud Function is its own instance,
//   terraform/functions.tf); the load goes to the pits process, /health is probed on the api one.
// Beside them, in the same run: /health alone (unloaded) and the timeline as it was before
// (one process, PITS_CACHE_ENTRIES=0 PITS_MAX_RUNNING=0: no cache, no gate, every call
// computed at once). A 503 is the gate shedding load (Retry-After: 1), counted apart from
// errors. Locally both topologies share the machine's cores with the load generator.
// Goal: zero timeouts and /health p99 under 100 ms while the load runs.
// Usage: npm run build && npm run bench:load
//   env: BENCH_DATABASE_URL (an admin PostgreSQL URL; a scratch database is created and
//   dropped; default TEST_DATABASE_URL), F1_DATA_DIR (default ../shared/data),
//   BENCH_DURATION (s, default 20), BENCH_CONNECTIONS (default 50), BENCH_SEASON (2024).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createLocalFolderStore } from '../../shared/artifacts/local-folder-store.js';
import { readEnvironment } from '../../shared/config/env.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { loadPitRace } from '../../shared/pits/load.js';
import { buildPitModel, defaultModelOptions, serializePitModel } from '../../shared/pits/model.js';
import { createPitModelRegistry } from '../../shared/pits/registry.js';
import { featureNames } from '../../shared/pits/features.js';
import { withIngestedPostgres } from '../scratch-postgres.js';
import { spawnNode, stop } from '../child-processes.js';

const env = readEnvironment(process.env);
const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'dist/shared/cli/main.js');
// functions-framework's own entry (its bin), run with this Node: --source is the package, whose
// "main" (dist/functions/index.js) loads the function FUNCTION_TARGET names, as deployed.
const functionsFramework = path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
const dataDir = path.resolve(env.F1_DATA_DIR ?? path.join(root, '../shared/data'));
const adminUrl = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL;
const duration = Number(env.BENCH_DURATION ?? 20);
const connections = Number(env.BENCH_CONNECTIONS ?? 50);
const season = Number(env.BENCH_SEASON ?? 2024);
// autocannon's default: a request unanswered for 10 s counts as a timeout.
const timeoutS = 10;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const topologies = {
  baseline: 'baselines (one process, npm start)',
  one: 'one process (npm start)',
  apart: 'as deployed (pits and api apart)',
} as const;

interface Row {
  topology: keyof typeof topologies;
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  timeouts: number;
  errors: number;
  shed: number;
  health: { p50: number; p99: number; max: number; n: number; failed: number };
}

/** /health every 20 ms, one at a time, until stopped: its latencies while the load runs. */
function probeHealth(base: string) {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutS * 1000) });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
    const s = latencies.sort((a, b) => a - b);
    return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.at(-1) ?? NaN, n: s.length, failed };
  };
}

/** The load on `base` (none: /health alone for 5 s) while /health is probed on `healthBase`. */
async function load(
  topology: Row['topology'],
  label: string,
  base: string,
  target?: { path: string; method?: string; body?: string },
  healthBase = base,
): Promise<Row> {
  const stopProbe = probeHealth(healthBase);
  if (!target) {
    await new Promise((r) => setTimeout(r, 5000));
    return { topology, label, reqPerSec: NaN, p50: NaN, p99: NaN, timeouts: 0, errors: 0, shed: 0, health: await stopProbe() };
  }
  const latencies: number[] = [];
  let ok = 0;
  let shed = 0;
  const instance = autocannon({
    url: `${base}${target.path}`,
    method: target.method ?? 'GET',
    connections,
    duration,
    timeout: timeoutS,
    ...(target.body ? { body: target.body, headers: { 'content-type': 'application/json' } } : {}),
  });
  instance.on('response', (_c: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status === 503) shed++;
    else if (status === 200) ok++;
  });
  const result = await instance;
  const health = await stopProbe();
  latencies.sort((a, b) => a - b);
  return {
    topology,
    label,
    // Answered forecasts per second; the latencies are of every answer (503s included).
    reqPerSec: ok / result.duration,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    timeouts: result.timeouts,
    errors: result.errors - result.timeouts + result.non2xx - shed,
    shed,
    health,
  };
}

/**
 * Starts `node args…` on `port` and waits until it is ready: a 200 from /health, or (`anyAnswer`,
 * for the pits function, which has no /health) any HTTP answer: functions-framework listens
 * only once the function's module has loaded.
 */
async function startProcess(name: string, args: string[], port: number, extraEnv: Record<string, string>, anyAnswer = false): Promise<ChildProcess> {
  const busy = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
  if (busy) throw new Error(`port ${port} is already in use: stop what listens there first`);
  const child = spawnNode(args, { PITWALL_ENV: 'local', ...extraEnv });
  const start = Date.now();
  while (Date.now() - start < 120_000) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => anyAnswer || r.status === 200, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop(child);
  throw new Error(`${name}: no ${anyAnswer ? 'answer' : '200 from /health'} on port ${port} within 120 s`);
}

/** `pitwall serve`: every function on one port, one process (what `npm start` runs). */
const startServer = (port: number, extraEnv: Record<string, string>) =>
  startProcess('pitwall serve', [cli, 'serve', '--port', String(port), '--no-train', '--no-replay'], port, extraEnv);

/** One deployed function alone in its process: functions-framework --target, FUNCTION_TARGET set as the platform does. */
const startFunction = (target: 'pits' | 'api', port: number, extraEnv: Record<string, string>) =>
  startProcess(
    `functions-framework --target=${target}`,
    [functionsFramework, `--target=${target}`, `--port=${port}`, `--source=${root}`],
    port,
    // terraform/main.tf gives the api function IGNORED_ROUTES="" (the pits function nothing more).
    { ...extraEnv, FUNCTION_TARGET: target, ...(target === 'api' ? { IGNORED_ROUTES: '' } : {}) },
    target === 'pits',
  );

/** 30 cars, laps 1..lap each, as a live timing feed would post them mid-race. */
function liveBody(lap: number, totalLaps: number): string {
  const laps = [];
  for (let d = 1; d <= 30; d++) {
    for (let l = 1; l <= lap; l++) {
      const stint = l > 20 + (d % 7) ? 2 : 1;
      const tyreLife = stint === 1 ? l : l - 20 - (d % 7);
      laps.push({ driverId: d, lap: l, position: d, timeMs: 80_000 + d * 120 + tyreLife * 60, compound: stint === 1 ? 'MEDIUM' : 'HARD', stint, tyreLife, trackStatus: '1', pitIn: l === 20 + (d % 7), pitOut: l === 21 + (d % 7) });
    }
  }
  return JSON.stringify({ lap, totalLaps, laps });
}

async function main() {
  if (!adminUrl) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin PostgreSQL URL');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-bench-load-'));
  try {
    await withIngestedPostgres(adminUrl, 'load', dataDir, async ({ knex, repo, ingestSeconds }) => {
      // One season's FastF1 laps (tyre compounds), enough for the pit view of its races.
      const lapsDir = path.join(work, 'laps');
      const file = `fastf1/armchair-strategist/transformed_grand_prix_laps_${season}.csv`;
      await fs.mkdir(path.dirname(path.join(lapsDir, file)), { recursive: true });
      await fs.copyFile(path.join(dataDir, 'laps', file), path.join(lapsDir, file));
      const t = performance.now();
      const outcome = await ingestFiles({ repo, logger: silentLogger }, { laps: lapsDir });
      if (outcome.runs.some((r) => r.status !== 'succeeded')) throw new Error(`ingesting the ${season} laps failed`);
      const lapsSeconds = (performance.now() - t) / 1000;

      // The heaviest timeline of the season: the most car-laps.
      let heaviest: { id: number; name: string; carLaps: number; totalLaps: number } | undefined;
      const skipped = new Set<string>();
      for (const race of await repo.races.list({ fromSeason: season, toSeason: season })) {
        const input = await loadPitRace(repo, race);
        if ('skip' in input) {
          skipped.add(input.skip);
          continue;
        }
        if (!heaviest || input.laps.length > heaviest.carLaps) heaviest = { id: race.id, name: `${race.name} ${race.season}`, carLaps: input.laps.length, totalLaps: input.totalLaps };
      }
      if (!heaviest) throw new Error(`no race of ${season} has usable lap data (${[...skipped].join('; ')})`);

      // A pit model of the serving shape; untrained weights cost what trained ones do.
      await setupTensorflow({ logger: silentLogger });
      const model = buildPitModel(defaultModelOptions);
      const artifact = await serializePitModel(model, { options: defaultModelOptions, featureNames: [...featureNames], threshold: 0.5, trainedOn: { seasons: [season - 1], rows: 0, positives: 0 } });
      model.dispose();
      const artifacts = path.join(work, 'artifacts');
      await createPitModelRegistry({ artifacts: createLocalFolderStore(artifacts), versions: repo.modelVersions }).publish(artifact, { threshold: 0.5 });

      const url = new URL(adminUrl);
      url.pathname = `/${(await knex.raw('select current_database() as name')).rows[0].name}`;
      const stackEnv = { DATABASE_URL: url.toString(), ARTIFACT_STORE_URI: artifacts, F1_DATA_DIR: dataDir };
      const timeline = { path: `/pits/${heaviest.id}/timeline` };
      const post = { path: '/pits', method: 'POST', body: liveBody(Math.min(50, heaviest.totalLaps - 1), heaviest.totalLaps) };
      const rows: Row[] = [];

      const uncached = await startServer(18_820, { ...stackEnv, PITS_CACHE_ENTRIES: '0', PITS_MAX_RUNNING: '0' });
      const base0 = 'http://127.0.0.1:18820';
      try {
        // One timeline alone: the CPU an uncached call costs.
        const t0 = performance.now();
        const first = await fetch(`${base0}${timeline.path}`);
        await first.arrayBuffer();
        if (first.status !== 200) throw new Error(`GET ${timeline.path} answered ${first.status}`);
        const single = performance.now() - t0;
        rows.push(await load('baseline', '/health alone (unloaded)', base0));
        rows.push(await load('baseline', 'before: timeline, no cache, no gate', base0, timeline));
        process.stdout.write(`one uncached timeline of ${heaviest.name} (${heaviest.carLaps} car-laps): ${single.toFixed(0)} ms\n`);
      } finally {
        await stop(uncached);
      }
      const server = await startServer(18_821, stackEnv);
      const base = 'http://127.0.0.1:18821';
      try {
        rows.push(await load('one', 'timeline, cached (first call computes)', base, timeline));
        rows.push(await load('one', 'POST /pits, 30 drivers', base, post));
      } finally {
        await stop(server);
      }

      // As deployed: the pits function and the api function (which answers /health) each in its
      // own process, over the same database and artifact folder; a fresh pits process, so its
      // cache starts empty as the one-process run's did.
      const api = await startFunction('api', 18_822, stackEnv);
      try {
        const pits = await startFunction('pits', 18_823, stackEnv);
        const apiBase = 'http://127.0.0.1:18822';
        const pitsBase = 'http://127.0.0.1:18823';
        try {
          rows.push(await load('apart', '/health alone (unloaded, api process)', apiBase));
          rows.push(await load('apart', 'timeline, cached (first call computes)', pitsBase, timeline, apiBase));
          rows.push(await load('apart', 'POST /pits, 30 drivers', pitsBase, post, apiBase));
        } finally {
          await stop(pits);
        }
      } finally {
        await stop(api);
      }

      process.stdout.write(
        `\nbench:load — ${connections} connections, ${duration} s per run, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}\n` +
          `race ${heaviest.name} (id ${heaviest.id}); setup: dump ${ingestSeconds.toFixed(0)} s, laps ${lapsSeconds.toFixed(0)} s (not in any figure)\n\n`,
      );
      const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');
      const width = 44;
      process.stdout.write(`${'run'.padEnd(width)}${'200/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'timeouts'.padStart(10)}${'errors'.padStart(8)}${'503'.padStart(7)}${'/health p50'.padStart(13)}${'p99'.padStart(8)}${'max'.padStart(8)}${'probes'.padStart(8)}\n`);
      let topology: Row['topology'] | undefined;
      for (const r of rows) {
        if (r.topology !== topology) process.stdout.write(`${topologies[(topology = r.topology)]}\n`);
        process.stdout.write(
          `${`  ${r.label}`.padEnd(width)}${f(r.reqPerSec, 1).padStart(8)}${f(r.p50).padStart(9)}${f(r.p99).padStart(9)}${String(r.timeouts).padStart(10)}${String(r.errors).padStart(8)}${String(r.shed).padStart(7)}` +
            `${f(r.health.p50, 1).padStart(13)}${f(r.health.p99, 1).padStart(8)}${f(r.health.max).padStart(8)}${String(r.health.n).padStart(8)}${r.health.failed ? ` (${r.health.failed} failed)` : ''}\n`,
        );
      }
      process.stdout.write('\ngoals (under load: zero timeouts, /health p99 < 100 ms):\n');
      for (const r of rows) {
        if (r.label.startsWith('/health alone')) continue;
        const ok = r.timeouts === 0 && r.errors === 0 && r.health.p99 < 100 && r.health.failed === 0;
        process.stdout.write(`  ${topologies[r.topology]}, ${r.label}: ${ok ? 'met' : 'MISSED'} (${r.timeouts} timeouts, ${r.errors} errors, ${r.shed} shed with 503, /health p99 ${f(r.health.p99, 1)} ms)\n`);
      }
    });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
