import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { predict, findRace } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { fetchedResultsSource } from '../../shared/ingest/results-source.js';
import { syncResults } from '../../shared/lifecycle/sync-results.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData, testDatabaseUrl } from '../helpers/settings.js';
import { dumpResults, loadSeasons } from '../helpers/dump-seasons.js';
import { atFreeze, startStack } from './stack.js';
import { schedulerClaims, startFakeGoogle, type FakeGoogle } from '../hostile/edge-tokens.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';

const data = requireData();

/** Malformed values for ids, seasons and race names. */
const junk = [
  '', ' ', '-1', '0', '1.5', '1e999', 'NaN', 'Infinity', 'null', 'undefined', 'true', '[]', '{}', '%', '%E0%A4%A', '%00', '..%2F..%2Fetc',
  "'%3B%20DROP%20TABLE%20races%3B--", 'a'.repeat(3000), '%D9%A3', '0x7e8', '99999999999999999999', '-99999999999', '%F0%9F%8F%8E', '2024abc',
];

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`reliability on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;

    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024], { withResults: false });
    }, 120_000);
    afterAll(async () => db?.close());

    it('a connection lost mid-sync leaves no partial rows, and the re-run completes', async () => {
      const spain = await findRace(repo, { year: 2024, race: 'Spain' });
      const clock = new SimulatedClock(freezeWindow(spain, { kind: 'post_qualifying' }).allowedAt);
      await predict({ repo, clock, policy: { kind: 'post_qualifying' }, forecaster: async () => new QualifyingOrderForecaster(repo) }, { year: 2024, race: 'Spain' });
      const source = fetchedResultsSource(dumpResults);
      if (backend.name === 'postgres') {
        // The evaluation insert (after the results were written, same transaction) stalls;
        // the backend serving it is killed from outside, as a crash or failover would.
        await db.knex.raw(`CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$`);
        await db.knex.raw(`CREATE TRIGGER stall BEFORE INSERT ON evaluations FOR EACH ROW EXECUTE FUNCTION stall()`);
        const dbName = new URL(db.url!).pathname.slice(1);
        const admin = new pg.Client({ connectionString: testDatabaseUrl });
        await admin.connect();
        const sync = syncResults({ repo, source, policy: { kind: 'post_qualifying' } }, { year: 2024, race: 'Spain' }).then(() => 'completed', (e: Error) => e.message);
        let killed = 0;
        for (let i = 0; i < 200 && killed === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const { rows } = await admin.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query ILIKE '%insert into "evaluations"%' AND state = 'active'`,
            [dbName],
          );
          killed = rows.length;
        }
        await admin.end();
        expect(killed).toBe(1);
        expect(await sync).toMatch(/terminat|connection/i);
        await db.knex.raw('DROP TRIGGER stall ON evaluations');
      } else {
        // PGlite has no second backend to kill: the same point fails from inside.
        await db.knex.raw(`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'connection lost'; END $$`);
        await db.knex.raw(`CREATE TRIGGER fail BEFORE INSERT ON evaluations FOR EACH ROW EXECUTE FUNCTION fail()`);
        await expect(syncResults({ repo, source, policy: { kind: 'post_qualifying' } }, { year: 2024, race: 'Spain' })).rejects.toThrow(/connection lost/);
        await db.knex.raw('DROP TRIGGER fail ON evaluations');
      }
      expect(await repo.reference.results(spain.id)).toHaveLength(0);
      expect(await repo.evaluations.count(spain.id)).toBe(0);

      const rerun = await syncResults({ repo, source, policy: { kind: 'post_qualifying' } }, { year: 2024, race: 'Spain' });
      expect(rerun.classified).toBe(20);
      expect(rerun.evaluation).not.toBeNull();
      expect(await repo.evaluations.count(spain.id)).toBe(1);
    }, 60_000);

    describe('over HTTP', () => {
      let stack: Awaited<ReturnType<typeof startStack>>;
      beforeAll(async () => {
        stack = await startStack(db);
      });
      afterAll(async () => stack?.server.close());

      it('malformed parameters fuzzed over every endpoint never produce a 5xx', async () => {
        const requests: [string, string][] = [];
        for (const j of junk) {
          requests.push(
            ['GET', `/predictions/${j}`], ['GET', `/results/${j}`], ['GET', `/metrics/${j}`], ['GET', `/metrics/season/${j}`],
            ['GET', `/races?season=${j}`], ['GET', `/drivers?season=${j}`], ['GET', `/teams?season=${j}`], ['GET', `/standings?season=${j}`],
            ['GET', `/races/upcoming?season=${j}`], ['GET', `/models?x=${j}`], ['GET', `/openapi.json?${j}`],
            ['POST', `/predict?year=${j}&race=1`], ['POST', `/predict?year=2024&race=${j}`], ['POST', `/predict?year=${j}`],
            ['POST', `/results/sync/${j}/1`], ['POST', `/results/sync/2024/${j}`], ['POST', `/evaluate/${j}/${j}`], ['POST', `/evaluate/2024/${j}`],
          );
        }
        requests.push(
          ['GET', '/races?season=2024&season=2023'], ['GET', '/races?season[a]=1'], ['GET', '/races'], ['POST', '/predict?year[]=2024&race=1'],
          ['POST', '/predict?race[x]=Monaco&year=2024'], ['POST', '/results/sync'], ['POST', '/results/sync/2024'], ['DELETE', '/predictions/1'],
          ['PUT', '/predict?year=2024&race=1'], ['POST', '/evaluate'],
        );
        const failures: string[] = [];
        for (const [method, path] of requests) {
          const res = await fetch(`${stack.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{"broken' } : {}) });
          if (res.status >= 500) failures.push(`${method} ${path.slice(0, 80)} → ${res.status} ${(await res.text()).slice(0, 200)}`);
          else await res.arrayBuffer();
        }
        expect(failures).toEqual([]);
        expect(requests.length).toBeGreaterThan(400);
      }, 120_000);
    });

    describe('auth in production mode', () => {
      const scheduler = 'scheduler@proj.iam.gserviceaccount.com';
      const base = 'https://europe-west1-proj.cloudfunctions.net';
      let stack: Awaited<ReturnType<typeof startStack>>;
      let google: FakeGoogle;
      beforeAll(async () => {
        google = await startFakeGoogle();
        stack = await startStack(db, { env: { PITWALL_ENV: 'production', FUNCTIONS_BASE_URL: base, SCHEDULER_SERVICE_ACCOUNT: scheduler, AUTH_CERTS_URL: google.certsUrl } });
      });
      afterAll(async () => {
        await stack?.server.close();
        await google?.close();
      });

      it('rejects unauthenticated writes with 401 and serves reads publicly', async () => {
        for (const path of ['/predict?year=2024&race=Monaco', '/results/sync/2024/Monaco', '/evaluate/2024/Monaco', '/ingest']) {
          const res = await fetch(`${stack.url}${path}`, { method: 'POST' });
          expect(res.status, path).toBe(401);
          expect(res.headers.get('www-authenticate')).toBe('Bearer');
        }
        const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
        expect(await repo.predictions.count(monaco.id)).toBe(0);
        expect((await fetch(`${stack.url}/races?season=2024`)).status).toBe(200);
        await atFreeze(stack, 2024, 'Monaco');
        // A bearer string proves nothing by itself: only a verified token of the Scheduler writes.
        const unverified = await fetch(`${stack.url}/predict?year=2024&race=Monaco`, { method: 'POST', headers: { Authorization: 'Bearer token-verified-by-cloud-functions-iam' } });
        expect(unverified.status).toBe(401);
        expect(await repo.predictions.count(monaco.id)).toBe(0);
        const token = google.sign(schedulerClaims(`${base}/predict`, scheduler));
        const authorised = await fetch(`${stack.url}/predict?year=2024&race=Monaco`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
        expect(authorised.status).toBe(201);
      });

      it('with an API key configured, only the key opens writes', async () => {
        const keyed = await startStack(db, { env: { PITWALL_ENV: 'production', API_KEY: 's3cret-key' } });
        try {
          // Its own race: this test freezes what it checks, whatever ran before it.
          await atFreeze(keyed, 2024, 'Canada');
          const wrong = await fetch(`${keyed.url}/predict?year=2024&race=Canada`, { method: 'POST', headers: { 'X-API-Key': 'guess', Authorization: 'Bearer x' } });
          expect(wrong.status).toBe(401);
          const right = await fetch(`${keyed.url}/predict?year=2024&race=Canada`, { method: 'POST', headers: { 'X-API-Key': 's3cret-key' } });
          expect(right.status).toBe(201);
        } finally {
          await keyed.server.close();
        }
      });
    });
  });
}
