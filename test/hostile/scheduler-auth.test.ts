import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest } from '../../shared/app/manifest.js';
import { createRepository } from '../../shared/repository/index.js';
import { planJobs } from '../../shared/scheduler/plan.js';
import { SYNC_AFTER_RACE_HOURS } from '../../shared/domain/result-sync.js';
import { startStack } from '../api/stack.js';
import { buildSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { schedulerClaims, startFakeGoogle, type FakeGoogle } from './edge-tokens.js';

const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const SCHEDULER = 'pitwall-scheduler@proj.iam.gserviceaccount.com';
const BASE = 'https://europe-west1-proj.cloudfunctions.net';

/** A deployed job URI (FUNCTIONS_BASE_URL/<function><path>) as the one-port stack serves it (<mount><path>). */
function localUrl(stackUrl: string, uri: string): string {
  const rest = uri.slice(BASE.length + 1);
  const fn = functionManifest.find((f) => rest === f.name || rest.startsWith(`${f.name}/`) || rest.startsWith(`${f.name}?`))!;
  return `${stackUrl}${fn.mount === '/' ? '' : fn.mount}${rest.slice(fn.name.length)}`;
}

/** Issue 15 point 4: with API_KEY set, the jobs the schedule function plans still get in with the Scheduler's OIDC token alone. */
describe("the Scheduler's calls in production with an API key configured", () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let google: FakeGoogle;
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    db = await backend.open();
    google = await startFakeGoogle();
    await buildSeason(createRepository(db.knex), { season: 2025, races: 2, firstRace: '2025-03-16' });
    stack = await startStack(db, { now: new Date('2025-03-10T00:00:00Z'), env: { PITWALL_ENV: 'production', API_KEY: 'k-123456', FUNCTIONS_BASE_URL: BASE, SCHEDULER_SERVICE_ACCOUNT: SCHEDULER, AUTH_CERTS_URL: google.certsUrl } });
  }, 60_000);
  afterAll(async () => {
    await stack?.server.close();
    await google?.close();
    await db?.close();
  });

  it("accepts each planned job's own OIDC token (its audience and email) and refuses the same call without one", async () => {
    const races = await createRepository(db.knex).races.listSeason(2025);
    const jobs = planJobs(races, stack.clock.now(), { policy: stack.app.config.freezePolicy, functionsBaseUrl: BASE, serviceAccountEmail: SCHEDULER, syncAfterHours: SYNC_AFTER_RACE_HOURS, horizonDays: 21 });
    const freeze = jobs.find((j) => j.id.endsWith('-freeze'))!;
    expect(freeze.oidc).toEqual({ serviceAccountEmail: SCHEDULER, audience: `${BASE}/predict` });
    for (const job of [freeze, jobs.find((j) => j.id.endsWith('-sync'))!]) {
      const url = localUrl(stack.url, job.uri);
      const body = job.body ? JSON.stringify(job.body) : undefined;
      const json: Record<string, string> = body ? { 'Content-Type': 'application/json' } : {};
      const token = google.sign(schedulerClaims(job.oidc!.audience, job.oidc!.serviceAccountEmail));
      const signed = await fetch(url, { method: 'POST', headers: { ...json, Authorization: `Bearer ${token}` }, ...(body ? { body } : {}) });
      // Past the auth check: the function answers for itself (too early to freeze, no result yet), never 401/403.
      expect([401, 403], `${job.id}: ${signed.status}`).not.toContain(signed.status);
      const bare = await fetch(url, { method: 'POST', headers: json, ...(body ? { body } : {}) });
      expect(bare.status).toBe(401);
    }
  });
});
