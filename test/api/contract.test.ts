import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument, documentedOperations } from '../../shared/api/openapi.js';
import { createComposition } from '../../shared/app/compose.js';
import { functionManifest } from '../../shared/app/manifest.js';
import { assertServesDeclared, declaredRoutes, mountedRoutes } from '../../shared/app/routes.js';
import type { Database } from '../../shared/db/connect.js';
import { bind, defineRoute, refusals } from '../../shared/http/route.js';
import { SimulatedClock } from '../../shared/clock.js';
import { backends } from '../helpers/databases.js';
import { routesCaller } from '../helpers/call.js';
import { appOver } from './stack.js';

/**
 * The API contract is the route declarations: every function built by the composition root
 * serves exactly the routes it declares, /openapi.json documents each public one with its
 * schemas, and with response checks on (the whole suite) an answer its schema does not
 * describe is a 500 instead of a silent drift.
 */
describe('the API contract', () => {
  const backend = backends[0]!;
  let db: Database;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(async () => db?.close());

  it('builds every function of the manifest from the composition root, each serving exactly its declared routes', async () => {
    const composition = createComposition({ app: appOver(db), clock: new SimulatedClock(new Date('2024-05-20T00:00:00Z')) });
    for (const f of functionManifest) await expect(composition.build(f.entryPoint), f.entryPoint).resolves.toBeTypeOf('function');
  });

  it('refuses to build a function that serves a route it does not declare, or declares one it does not serve', () => {
    const [first, ...rest] = declaredRoutes.predict;
    expect(() => assertServesDeclared('predict', rest)).toThrow(/declared but not served: POST \//);
    const stray = defineRoute({ method: 'GET', path: '/stray', summary: 'x', responses: {} });
    expect(() => assertServesDeclared('predict', [first!, stray])).toThrow(/served but not declared: GET \/stray/);
  });

  it('documents every public route of every function at its mount, with its parameters and responses', () => {
    const doc = buildOpenApiDocument({ version: 'test' }, mountedRoutes()) as { paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string }[] }>> };
    const operations = documentedOperations(mountedRoutes());
    // The write functions and the pits function are there at their dev-server paths, beside the read API.
    for (const path of ['/predict', '/results/sync/{year}/{race}', '/results/sync/latest', '/evaluate/{year}/{race}', '/ingest', '/schedule', '/pits', '/pits/{raceId}', '/pits/{raceId}/timeline', '/predictions/{raceId}', '/championship/{year}', '/championship/{year}/{round}', '/overview', '/openapi.json']) {
      expect(operations.map((o) => o.path), path).toContain(path);
    }
    for (const op of operations) {
      const documented = doc.paths[op.path]?.[op.method.toLowerCase()];
      expect(documented, `${op.method} ${op.path}`).toBeDefined();
      expect(Object.keys(documented!.responses).sort()).toEqual(Object.keys(op.responses).sort());
      for (const name of Object.keys(op.params?.shape ?? {})) expect(documented!.parameters?.map((p) => p.name), `${op.path} ${name}`).toContain(name);
    }
    // The dashboard's assets are served, not documented.
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/dashboard'))).toBe(false);
  });

  it('answers 500 contract_violation when a handler answers a status or body its declaration does not describe', async () => {
    const spec = defineRoute({ method: 'GET', path: '/n', summary: 'a number', responses: { 200: { description: 'n', schema: z.object({ n: z.number() }) }, ...refusals } });
    const answering = (status: number, body: unknown) => routesCaller([bind(spec, async () => ({ status, headers: {}, body }))])({ path: '/n' });
    expect((await answering(200, { n: 1 })).status).toBe(200);
    const wrongBody = await answering(200, { n: 'one' });
    expect(wrongBody.status).toBe(500);
    expect(wrongBody.body).toMatchObject({ error: { code: 'contract_violation', message: expect.stringMatching(/GET \/n answered 200 with a body that does not match its schema: n:/) } });
    const undeclared = await answering(409, { error: { code: 'conflict', message: 'x' } });
    expect(undeclared.body).toMatchObject({ error: { code: 'contract_violation', message: expect.stringMatching(/a status its declaration does not list/) } });
  });
});
