import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { schedulerClaims, startFakeGoogle, type FakeGoogle } from './edge-tokens.js';

const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

const SCHEDULER = 'scheduler@proj.iam.gserviceaccount.com';
const BASE = 'https://europe-west1-proj.cloudfunctions.net';

/**
 * Production writes fail closed (issue 13, item 7): a bearer string proves nothing until its
 * signature, issuer, audience, expiry and email check out against Google's keys (served here
 * by a local fake). An allowed caller reaches the function, which then answers 404 (the
 * database is empty); a refused one gets 401/403 JSON and never reaches it.
 */
describe('who may write in production', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let google: FakeGoogle;
  const stacks: Awaited<ReturnType<typeof startStack>>[] = [];
  const stack = async (env: Record<string, string>) => {
    const s = await startStack(db, { env: { AUTH_CERTS_URL: google.certsUrl, ...env } });
    stacks.push(s);
    return s.url;
  };

  beforeAll(async () => {
    db = await backend.open();
    google = await startFakeGoogle();
  }, 60_000);
  afterAll(async () => {
    for (const s of stacks) await s.server.close();
    await google?.close();
    await db?.close();
  });

  const evaluate = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/evaluate/2024/1`, { method: 'POST', headers });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, code: body.error?.code, message: body.error?.message ?? '' };
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const reached = { status: 404, code: 'not_found' };

  describe('with neither an API key nor identity settings', () => {
    let url: string;
    beforeAll(async () => {
      url = await stack({ PITWALL_ENV: 'production' });
    });

    it('refuses every write, a bearer of any kind included', async () => {
      expect(await evaluate(url)).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(await evaluate(url, bearer('x'))).toMatchObject({ status: 401, code: 'unauthorized' });
      const signed = google.sign(schedulerClaims(`${BASE}/evaluate`, SCHEDULER));
      const out = await evaluate(url, bearer(signed));
      expect(out).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(out.message).toMatch(/no API_KEY and no AUTH_AUDIENCES/);
    });
  });

  describe('with identity settings', () => {
    let url: string;
    const audience = `${BASE}/evaluate`;
    beforeAll(async () => {
      url = await stack({ PITWALL_ENV: 'production', AUTH_AUDIENCES: `${audience},${BASE}/predict`, AUTH_ALLOWED_EMAILS: SCHEDULER });
    });

    it.each([
      ['no header', () => ({}), 401, /identity token .* is required/],
      ['a garbage bearer', () => bearer('x'), 401, /not a JWT/],
      ['a token signed by a key that is not Google\'s', () => bearer(google.sign(schedulerClaims(audience, SCHEDULER), { key: 'stranger' })), 401, /signature does not verify/],
      ['a token under an unknown key id', () => bearer(google.sign(schedulerClaims(audience, SCHEDULER), { kid: 'other' })), 401, /signature does not verify/],
      ['a token for another audience', () => bearer(google.sign(schedulerClaims('https://elsewhere.example/fn', SCHEDULER))), 401, /audience/],
      ['a token of another issuer', () => bearer(google.sign(schedulerClaims(audience, SCHEDULER, { iss: 'https://evil.example' }))), 401, /issuer/],
      ['an expired token', () => bearer(google.sign(schedulerClaims(audience, SCHEDULER, { iat: now() - 7200, exp: now() - 3600 }))), 401, /expired/],
      ['a valid token of an account not on the allowlist', () => bearer(google.sign(schedulerClaims(audience, 'someone@gmail.com'))), 403, /someone@gmail.com is not on the allowlist/],
      ['a valid token whose email is not verified', () => bearer(google.sign(schedulerClaims(audience, SCHEDULER, { email_verified: false }))), 403, /allowlist/],
    ])('refuses %s', async (_case, headers, status, message) => {
      const out = await evaluate(url, headers());
      expect(out.status).toBe(status);
      expect(out.message).toMatch(message);
      // The refusal never quotes the token back.
      expect(out.message).not.toMatch(/eyJ/);
    });

    it("accepts the Scheduler's token for this function, and fetches Google's keys once for many calls", async () => {
      const token = google.sign(schedulerClaims(audience, SCHEDULER));
      const before = google.fetches;
      for (let i = 0; i < 3; i++) expect(await evaluate(url, bearer(token))).toMatchObject(reached);
      expect(google.fetches - before).toBeLessThanOrEqual(1);
    });

    it('takes no form post, even from an allowed caller', async () => {
      const token = google.sign(schedulerClaims(audience, SCHEDULER));
      const res = await fetch(`${url}/evaluate/2024/1`, { method: 'POST', headers: { ...bearer(token), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
      expect(res.status).toBe(415);
    });
  });

  describe('with an API key', () => {
    let url: string;
    beforeAll(async () => {
      url = await stack({ PITWALL_ENV: 'production', API_KEY: 'k-123456', AUTH_ALLOWED_EMAILS: SCHEDULER, AUTH_AUDIENCES: `${BASE}/evaluate` });
    });

    it('accepts the key, refuses a wrong one, and accepts the Scheduler\'s token without a key (Cloud Scheduler sends only OIDC)', async () => {
      expect(await evaluate(url, { 'X-API-Key': 'k-123456' })).toMatchObject(reached);
      expect(await evaluate(url, { 'X-API-Key': 'k-654321' })).toMatchObject({ status: 401 });
      expect(await evaluate(url)).toMatchObject({ status: 401 });
      expect(await evaluate(url, bearer('x'))).toMatchObject({ status: 401 });
      expect(await evaluate(url, bearer(google.sign(schedulerClaims(`${BASE}/evaluate`, SCHEDULER))))).toMatchObject(reached);
    });
  });

  it("derives the Scheduler's audiences and account from FUNCTIONS_BASE_URL and SCHEDULER_SERVICE_ACCOUNT", async () => {
    const url = await stack({ PITWALL_ENV: 'production', FUNCTIONS_BASE_URL: BASE, SCHEDULER_SERVICE_ACCOUNT: SCHEDULER });
    expect(await evaluate(url, bearer(google.sign(schedulerClaims(`${BASE}/evaluate`, SCHEDULER))))).toMatchObject(reached);
    expect(await evaluate(url, bearer(google.sign(schedulerClaims(`${BASE}/evaluate`, 'other@proj.iam.gserviceaccount.com'))))).toMatchObject({ status: 403 });
    expect(await evaluate(url, bearer('x'))).toMatchObject({ status: 401 });
  });

  it('leaves local dev with no key open, even with FUNCTIONS_BASE_URL set', async () => {
    const url = await stack({ PITWALL_ENV: 'local', FUNCTIONS_BASE_URL: BASE, SCHEDULER_SERVICE_ACCOUNT: SCHEDULER });
    expect(await evaluate(url)).toMatchObject(reached);
  });
});

const now = () => Math.floor(Date.now() / 1000);
