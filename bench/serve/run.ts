// Serving benchmark: throughput and latency of the local stack (every function on one port,
// `pitwall serve`, as separate processes) for GET /predictions/{raceId} and POST /predict on
// an already frozen race, beside a bare functions-framework hello-world as the ceiling; the
// first (real) freeze of a race; and cold start (process start → first 200 on /health).
// Usage: npm run bench:serve
//   env: F1_DATA_DIR (default ../shared/data), BENCH_DURATION (s, default 10),
//   BENCH_CONNECTIONS (default 10), BENCH_DATABASE_URL (a PostgreSQL database to also
//   bench against; default none), BENCH_DIR (default <tmp>/pitwall-bench-serve).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createAppContext } from '../../shared/app/context.js';
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { silentLogger } from '../../shared/log/logger.js';
import { prepareLocalStack } from '../../shared/cli/local-stack.js';
import { spawnNode, stop } from '../child-processes.js';

const env = readEnvironment(process.env);
const duration = Number(env.BENCH_DURATION ?? 10);
const connections = Number(env.BENCH_CONNECTIONS ?? 10);
const benchDir = env.BENCH_DIR ?? path.join(os.tmpdir(), 'pitwall-bench-serve');
const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'dist/shared/cli/main.js');
const ffMain = path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js');

interface Load {
  label: string;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function load(label: string, url: string, method = 'GET'): Promise<Load> {
  const latencies: number[] = [];
  const instance = autocannon({ url, method, connections, duration });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return { label, reqPerSec: result.requests.total / result.duration, p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99), non2xx: result.non2xx + result.errors };
}

async function assertPortFree(port: number): Promise<void> {
  const busy = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
  if (busy) throw new Error(`port ${port} is already in use: stop what listens there first`);
}

async function waitFor200(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no 200 from ${url} within ${timeoutMs} ms`);
}


interface BackendReport {
  backend: string;
  coldStartMs: number[];
  apiColdStartMs: number[];
  firstFreezeMs: number[];
  loads: Load[];
}

async function benchBackend(name: string, dbEnv: Record<string, string>, port: number): Promise<BackendReport> {
  const stackEnv = { ...dbEnv, ARTIFACT_STORE_URI: path.join(benchDir, 'artifacts'), PITWALL_ENV: 'local' };
  // Migrate and ingest once, outside the timings (the cold start measures a ready stack).
  const config = parseConfig({ ...env, ...stackEnv });
  const app = await createAppContext(config, silentLogger);
  await prepareLocalStack(app);
  await app.close();

  const base = `http://127.0.0.1:${port}`;
  const coldStartMs: number[] = [];
  let server: ChildProcess | undefined;
  for (let i = 0; i < 3; i++) {
    if (server) await stop(server);
    await assertPortFree(port);
    const t0 = performance.now();
    server = spawnNode([cli, 'serve', '--port', String(port), '--no-train'], stackEnv);
    await waitFor200(`${base}/health`, server);
    coldStartMs.push(performance.now() - t0);
  }
  // The deployed shape: functions-framework serving one target from package.json main.
  const apiColdStartMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    await assertPortFree(port + 100);
    const t0 = performance.now();
    // Cloud Functions sets FUNCTION_TARGET to the entry point; the package then loads only that function.
    const alone = spawnNode([ffMain, '--target=api', `--source=${root}`, `--port=${port + 100}`], { ...stackEnv, FUNCTION_TARGET: 'api' });
    try {
      await waitFor200(`http://127.0.0.1:${port + 100}/health`, alone);
      apiColdStartMs.push(performance.now() - t0);
    } catch (err) {
      process.stderr.write(`functions-framework --target=api did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      await stop(alone);
    }
  }
  try {
    // First freezes: races of 2023 not frozen yet under the current model version.
    const races = (await (await fetch(`${base}/races?season=2023`)).json()) as { races: { round: number; predictionId: number | null }[] };
    const open = races.races.filter((r) => r.predictionId === null).slice(0, 5);
    const firstFreezeMs: number[] = [];
    for (const r of open) {
      const t0 = performance.now();
      const res = await fetch(`${base}/predict?year=2023&race=${r.round}`, { method: 'POST' });
      await res.arrayBuffer();
      if (res.status === 201) firstFreezeMs.push(performance.now() - t0);
    }
    // The frozen race for the load runs.
    const frozen = await fetch(`${base}/predict?year=2024&race=Monaco`, { method: 'POST' });
    const { race } = (await frozen.json()) as { race: { id: number } };
    const loads = [
      await load(`${name}: GET /predictions/{raceId}`, `${base}/predictions/${race.id}`),
      await load(`${name}: POST /predict (frozen)`, `${base}/predict?year=2024&race=Monaco`, 'POST'),
    ];
    return { backend: name, coldStartMs, apiColdStartMs, firstFreezeMs, loads };
  } finally {
    if (server) await stop(server);
  }
}

async function helloWorld(port: number): Promise<Load & { coldStartMs: number }> {
  await assertPortFree(port);
  const t0 = performance.now();
  const child = spawnNode([ffMain, '--target=hello', `--source=${path.join(root, 'dist/bench/serve/hello.js')}`, `--port=${port}`], {});
  try {
    await waitFor200(`http://127.0.0.1:${port}/`, child);
    const coldStartMs = performance.now() - t0;
    return { ...(await load('hello-world (functions-framework)', `http://127.0.0.1:${port}/`)), coldStartMs };
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '—');

async function main() {
  fs.mkdirSync(benchDir, { recursive: true });
  const backends: [string, Record<string, string>][] = [['pglite', { PGLITE_DIR: path.join(benchDir, 'pglite'), DATABASE_URL: '' }]];
  if (env.BENCH_DATABASE_URL) backends.push(['postgres', { DATABASE_URL: env.BENCH_DATABASE_URL }]);

  process.stdout.write(`bench:serve — ${connections} connections, ${duration} s per run, ${os.cpus().length} CPUs, Node ${process.version}\n\n`);
  const hello = await helloWorld(18_700);
  const reports: BackendReport[] = [];
  for (const [i, [name, dbEnv]] of backends.entries()) reports.push(await benchBackend(name, dbEnv, 18_710 + i));

  const rows = [hello, ...reports.flatMap((r) => r.loads)];
  process.stdout.write(`${'run'.padEnd(44)}${'req/s'.padStart(9)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'non-2xx'.padStart(9)}  vs ceiling\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.label.padEnd(44)}${r.reqPerSec.toFixed(0).padStart(9)}${r.p50.toFixed(1).padStart(8)}${r.p95.toFixed(1).padStart(8)}${r.p99.toFixed(1).padStart(8)}${String(r.non2xx).padStart(9)}  ${((r.reqPerSec / hello.reqPerSec) * 100).toFixed(0)}%\n`,
    );
  }
  process.stdout.write(`\n${'cold start → first 200 /health'.padEnd(48)}median of 3 (runs)\n`);
  process.stdout.write(`  ${'hello-world (ceiling)'.padEnd(46)}${ms(hello.coldStartMs)}\n`);
  for (const r of reports) {
    process.stdout.write(`  ${`${r.backend}: pitwall serve (all functions)`.padEnd(46)}${ms(median(r.coldStartMs))} (${r.coldStartMs.map(ms).join(', ')})\n`);
    process.stdout.write(`  ${`${r.backend}: functions-framework --target=api`.padEnd(46)}${ms(median(r.apiColdStartMs))} (${r.apiColdStartMs.map(ms).join(', ')})\n`);
  }
  process.stdout.write(`\n${'first freeze (POST /predict, 201)'.padEnd(48)}median (runs)\n`);
  for (const r of reports) process.stdout.write(`  ${r.backend.padEnd(46)}${ms(median(r.firstFreezeMs))} (${r.firstFreezeMs.map(ms).join(', ') || 'no unfrozen race left'})\n`);

  process.stdout.write('\ngoals:\n');
  for (const r of reports) {
    const read = r.loads[0]!;
    const frozen = r.loads[1]!;
    const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
    process.stdout.write(`  ${r.backend}: reads ${((read.reqPerSec / hello.reqPerSec) * 100).toFixed(0)}% of hello-world (≥ 50%: ${check(read.reqPerSec >= hello.reqPerSec / 2)}); `);
    process.stdout.write(`frozen predict p95 ${frozen.p95.toFixed(1)} ms (≤ 50: ${check(frozen.p95 <= 50)}); `);
    process.stdout.write(`first freeze ${ms(median(r.firstFreezeMs))} (≤ 500: ${check(median(r.firstFreezeMs) <= 500)}); `);
    process.stdout.write(`cold start (api function) ${ms(median(r.apiColdStartMs))} (≤ 1500: ${check(median(r.apiColdStartMs) <= 1500)})\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
