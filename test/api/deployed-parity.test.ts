import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest, type FunctionSpec } from '../../shared/app/manifest.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { cliBuilt, cliPath } from '../cli/run-cli.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { startFakeGcs, type FakeGcs } from '../helpers/fake-gcs.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { dataDir, requireData, requirePostgres } from '../helpers/settings.js';
import { writeSlicedDump } from '../ingest/helpers.js';

const data = requireData();
const postgres = requirePostgres();
const root = path.resolve(import.meta.dirname, '../..');
/** functions-framework's own bin, as Cloud Functions runs it; --source=root loads package.json "main". */
const functionsFramework = path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
const bucket = 'pitwall-dumps';

/**
 * The same requests, in the same order, to every function two ways: the one-port dev server
 * (`pitwall serve`, each function under its mount) on database A, and each function alone in
 * its own `functions-framework --target` process (as deployed, seeing the path after
 * FUNCTIONS_BASE_URL/<name>) on database B. Both databases start the same, so both sides see
 * the same writes; every answer must be the same but for what two databases and two processes
 * legitimately differ in (normalise below).
 */
describe.skipIf(data.skip || postgres.skip || !cliBuilt)('every function answers the same in the dev server and deployed alone', () => {
  const children: { name: string; child: ChildProcess; log: string[] }[] = [];
  const drops: (() => Promise<void>)[] = [];
  let tmp: string;
  let replay: ReplayServer;
  let gcs: FakeGcs;
  let devUrl: string;
  const functionUrl = new Map<string, string>();

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-parity-'));
    [replay, gcs] = await Promise.all([startReplayServer(path.join(dataDir, 'api-replay')), startFakeGcs()]);

    // The gs:// dump: the real 2024 season as a folder of CSVs under gs://pitwall-dumps/ergast/.
    const dump = await writeSlicedDump([2024], 'csv');
    const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'local' });
    for (const name of await fs.readdir(dump)) {
      await storage.bucket(bucket).file(`ergast/${name}`).save(await fs.readFile(path.join(dump, name)), { resumable: false });
    }
    await fs.rm(dump, { recursive: true, force: true });

    // Both databases start the same: migrated, and seeded with the 1950 season. The seed is there
    // only because `pitwall serve` ingests the whole dump into a database with no race before it
    // listens (shared/cli/local-stack.ts), which the deployed functions never do; a season no request
    // touches keeps that out of the way, and F1_DATA_DIR points at an empty folder so a missed seed
    // fails the start instead of loading the dump on one side only.
    const seed = await writeSlicedDump([1950], 'csv');
    const [dbA, dbB] = await Promise.all(['A', 'B'].map(async () => {
      const scratch = await createScratchDatabase();
      drops.push(scratch.drop);
      const knex = openPostgres(scratch.url, 2);
      try {
        await migrateLatest(knex);
        const seeded = await ingestFiles({ repo: createRepository(knex), logger: silentLogger }, { dump: seed });
        expect(seeded.runs.map((r) => r.status)).toEqual(['succeeded']);
      } finally {
        await knex.destroy();
      }
      return scratch.url;
    }));
    await fs.rm(seed, { recursive: true, force: true });

    const emptyData = path.join(tmp, 'no-data');
    const ingestRoot = path.join(tmp, 'ingest-root');
    await Promise.all([fs.mkdir(emptyData), fs.mkdir(ingestRoot)]);
    // Everything a child sees; nothing inherited from this process but PATH and the contract checks.
    const envOf = async (side: string, databaseUrl: string): Promise<Record<string, string>> => {
      const artifacts = path.join(tmp, side, 'artifacts');
      const cache = path.join(tmp, side, 'http-cache');
      await Promise.all([fs.mkdir(artifacts, { recursive: true }), fs.mkdir(cache, { recursive: true })]);
      return {
        PATH: process.env.PATH ?? '',
        RESPONSE_CONTRACT_CHECKS: 'true',
        PITWALL_ENV: 'test',
        DATABASE_URL: databaseUrl,
        ARTIFACT_STORE_URI: artifacts,
        HTTP_CACHE_DIR: cache,
        F1_DATA_DIR: emptyData,
        JOLPICA_BASE_URL: replay.jolpicaBaseUrl,
        // The recordings were requested with Ergast's default page of 30.
        JOLPICA_PAGE_SIZE: '30',
        OPENF1_BASE_URL: replay.openf1BaseUrl,
        GCS_API_ENDPOINT: gcs.endpoint,
        INGEST_BUCKETS: bucket,
        INGEST_ROOTS: ingestRoot,
        FUNCTIONS_BASE_URL: 'https://fn.example',
        RESULTS_SOURCE: 'dump',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      };
    };
    const [envA, envB] = await Promise.all([envOf('a', dbA!), envOf('b', dbB!)]);

    const ports = await Promise.all(Array.from({ length: functionManifest.length + 1 }, freePort));
    const devPort = ports.pop()!;
    devUrl = `http://127.0.0.1:${devPort}`;
    const starts = [start('dev server', [cliPath, 'serve', '--no-train', '--no-replay', '--port', String(devPort)], envA, devUrl)];
    functionManifest.forEach((spec, i) => {
      const url = `http://127.0.0.1:${ports[i]}`;
      functionUrl.set(spec.entryPoint, url);
      starts.push(
        start(
          spec.name,
          [functionsFramework, `--target=${spec.entryPoint}`, `--port=${ports[i]}`, `--source=${root}`],
          // As the platform sets it; terraform/main.tf gives the api function IGNORED_ROUTES="".
          { ...envB, FUNCTION_TARGET: spec.entryPoint, ...(spec.entryPoint === 'api' ? { IGNORED_ROUTES: '' } : {}) },
          url,
        ),
      );
    });
    await Promise.all(starts);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(children.map(({ child }) => stop(child)));
    await Promise.all([replay?.close(), gcs?.close()]);
    await Promise.all(drops.map((drop) => drop()));
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  }, 60_000);

  /** Spawns a child and waits until it answers any HTTP request (it listens once its functions are built). */
  async function start(name: string, args: string[], env: Record<string, string>, url: string): Promise<void> {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 50) log.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.push({ name, child, log });
    const deadline = Date.now() + 100_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${log.join('')}`);
      if (await fetch(`${url}/`).then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name}: no answer on ${url} within 100 s: ${log.join('')}`);
  }

  /** One request both ways at once (the two sides share nothing): A under the mount, B at the function. */
  async function both(entryPoint: FunctionSpec['entryPoint'], method: string, deployedPath: string, init: { json?: unknown; body?: string; contentType?: string } = {}) {
    const spec = functionManifest.find((f) => f.entryPoint === entryPoint)!;
    // Deployed, FUNCTIONS_BASE_URL/<name> (no trailing slash) reaches the function as "/".
    const rest = deployedPath === '/' ? '' : deployedPath.startsWith('/?') ? deployedPath.slice(1) : deployedPath;
    const viaDev = spec.mount === '/' ? `${devUrl}${deployedPath}` : `${devUrl}${spec.mount}${rest}`;
    const viaFunction = `${functionUrl.get(entryPoint)}${deployedPath}`;
    const body = init.json === undefined ? init.body : JSON.stringify(init.json);
    const contentType = init.contentType ?? (init.json === undefined ? undefined : 'application/json');
    const send = async (url: string): Promise<Answer> => {
      const res = await fetch(url, { method, ...(body === undefined ? {} : { body }), headers: contentType ? { 'content-type': contentType } : {} });
      const type = res.headers.get('content-type');
      const bytes = Buffer.from(await res.arrayBuffer());
      const headers = Object.fromEntries(comparedHeaders.map((h) => [h, res.headers.get(h)]));
      return { status: res.status, headers, body: type?.includes('json') ? JSON.parse(bytes.toString('utf8')) : type?.startsWith('text/') ? bytes.toString('utf8') : bytes.toString('base64') };
    };
    const [a, b] = await Promise.all([send(viaDev), send(viaFunction)]);
    const label = `${method} ${deployedPath} (${spec.name})`;
    // Soft: one run lists every pair that differs, not only the first.
    expect.soft({ request: label, ...normalise(b) }, `${label}: dev server ${viaDev} answered ${JSON.stringify(a).slice(0, 2000)}`).toEqual({ request: label, ...normalise(a) });
    return { a, b };
  }

  it('answers every request the same both ways, in order', async () => {
    // Writes: the gs:// dump, then one Jolpica race.
    const gsIngest = await both('ingest', 'POST', '/', { json: { dump: `gs://${bucket}/ergast` } });
    expect(gsIngest.a.status).toBe(200);
    const gsRuns = (gsIngest.a.body as { runs: { source: string; status: string; tables: Record<string, { inserted: number }> }[] }).runs;
    expect(gsRuns).toHaveLength(1);
    expect(gsRuns[0]).toMatchObject({ source: 'dump', status: 'succeeded' });
    expect(gsRuns[0]!.tables.results!.inserted).toBeGreaterThan(400);

    const jolpica = await both('ingest', 'POST', '/', { json: { jolpica: { season: 2023, round: 9, parts: ['schedule', 'results'] } } });
    expect(jolpica.a.status).toBe(200);
    expect((jolpica.a.body as { runs: unknown[] }).runs).toEqual([expect.objectContaining({ source: 'jolpica', status: 'succeeded' })]);

    // Reads.
    const seasons = await both('api', 'GET', '/seasons');
    expect(seasons.a.status).toBe(200);
    expect((seasons.a.body as { seasons: number[] }).seasons).toEqual(expect.arrayContaining([2023, 2024]));
    const races = await both('api', 'GET', '/races?season=2024');
    expect((races.a.body as { races: unknown[] }).races).toHaveLength(24);
    await both('api', 'GET', '/races/upcoming');
    await both('api', 'GET', '/standings?season=2024');
    await both('api', 'GET', '/drivers?season=2024');
    await both('api', 'GET', '/teams?season=2024');
    // The document describes every function at its mount: the same document from either side, not normalised.
    const openapi = await both('api', 'GET', '/openapi.json');
    expect(openapi.a.status).toBe(200);
    expect(openapi.b.body).toEqual(openapi.a.body);
    const health = await both('api', 'GET', '/health');
    expect(health.a.status).toBe(200);
    expect((await both('api', 'GET', '/nope')).a.status).toBe(404);
    expect((await both('api', 'GET', '/models')).a.status).toBe(200);
    expect((await both('api', 'POST', '/seasons')).a.status).toBe(405);
    // functions-framework ignores /favicon.ico unless IGNORED_ROUTES=""; the dev server hands it the icon.
    expect((await both('api', 'GET', '/favicon.ico')).a.status).toBe(200);

    // Freeze the 2024 Monaco GP's forecast after the fact (the clock is the real one), twice: the second finds it.
    const first = await both('predict', 'POST', '/?year=2024&race=8&retrospective=true');
    expect(first.a.status).toBe(201);
    const second = await both('predict', 'POST', '/?year=2024&race=8&retrospective=true');
    expect(second.a.status).toBe(200);
    expect((second.a.body as { id: number }).id).toBe((first.a.body as { id: number }).id);
    const raceId = (first.a.body as { race: { id: number } }).race.id;
    // A retrospective is never the race's forecast: Location names its own snapshot.
    expect(first.a.headers.location).toBe(`/predictions/${raceId}/snapshots/${(first.a.body as { id: number }).id}`);
    expect((await both('api', 'GET', `/predictions/${raceId}/snapshots`)).a.status).toBe(200);
    await both('api', 'GET', `/predictions/${raceId}`);

    const sync = await both('syncResults', 'POST', '/2024/8');
    expect(sync.a.status).toBe(200);
    await both('evaluate', 'POST', '/2024/8');
    await both('syncResults', 'POST', '/latest');
    await both('api', 'GET', `/results/${raceId}`);
    await both('api', 'GET', `/metrics/${raceId}`);
    await both('api', 'GET', '/metrics/season/2024');

    // No pit model is trained on either side, and the dump stored no lap-by-lap data: a stored race
    // is refused for its missing laps (404), a live one for the missing model (503).
    expect((await both('pits', 'GET', `/${raceId}?lap=10`)).a.status).toBe(404);
    expect((await both('pits', 'GET', `/${raceId}/timeline`)).a.status).toBe(404);
    const live = { lap: 10, totalLaps: 56, laps: [{ driverId: 1, lap: 10, position: 1, compound: 'MEDIUM', tyreLife: 10 }] };
    expect((await both('pits', 'POST', '/', { json: live })).a.status).toBe(503);

    const schedule = await both('schedule', 'POST', '/');
    expect(schedule.a.status).toBe(200);

    // Refusals: a form body on a write, a body that is not JSON, a malformed escape in a path.
    expect((await both('ingest', 'POST', '/', { body: 'dump=gs%3A%2F%2Fx', contentType: 'application/x-www-form-urlencoded' })).a.status).toBe(415);
    expect((await both('ingest', 'POST', '/', { body: '{"dump":', contentType: 'application/json' })).a.status).toBe(400);
    expect((await both('api', 'GET', '/predictions/%E0%A4%A')).a.status).toBe(400);
    expect((await both('syncResults', 'POST', '/%ZZ/8')).a.status).toBe(400);
    expect((await both('pits', 'GET', '/%ZZ?lap=1')).a.status).toBe(400);
    // Not a route of the function the path reaches.
    expect((await both('evaluate', 'POST', '/2024')).a.status).toBe(404);
    expect((await both('predict', 'GET', '/?year=2024&race=8')).a.status).toBe(405);
  }, 90_000);
});

/** Headers compared besides the status and body. */
const comparedHeaders = ['content-type', 'allow', 'location'];

/**
 * What two databases and two processes legitimately differ in, and nothing else: the
 * wall-clock instants each side stamped when it did the write or read (each side does it a
 * few milliseconds apart). Ids are compared as they are: both databases see the same writes
 * in the same order, so their sequences hand out the same ids.
 */
const wallClockKeys = new Set([
  // a snapshot's freeze-clock time: the real clock here, read when each side froze it
  'createdAt',
  // when the snapshot row was really written
  'recordedAt',
  // when the evaluation was scored
  'evaluatedAt',
  // when a model version was registered
  'trainedAt',
  // when a classification version was synced (the sync's clock: the real one here)
  'syncedAt',
]);

function normalise(answer: Answer): Answer {
  const walk = (v: unknown, top: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        // GET /races/upcoming answers the instant it was asked at, top level.
        const wallClock = wallClockKeys.has(k) || (top && k === 'now');
        if (wallClock && typeof x === 'string' && !Number.isNaN(Date.parse(x))) return [k, '<wall clock>'];
        // POST /results/sync/latest's 404 names the instant it looked at ("started before <now - 2 h>").
        if (k === 'message' && typeof x === 'string') return [k, x.replace(/(started before )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/, '$1<wall clock>')];
        return [k, walk(x, false)];
      }),
    );
  };
  return { ...answer, body: walk(answer.body, true) };
}

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: unknown;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
