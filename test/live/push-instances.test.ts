import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/clock.js';
import { createLiveBus } from '../../shared/live/create-live-bus.js';
import type { LiveBus } from '../../shared/live/live-bus.js';
import { storeAndPublish } from '../../shared/live/publish.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { idsOf, lapsOf, openSse } from './sse-client.js';
import { tickAt } from './ticks.js';

const postgres = backends.find((b) => b.name === 'postgres')!;

/**
 * Two api instances (two dev servers, as two Cloud Functions instances would be) over one
 * real PostgreSQL, each with its own LISTEN connection: a tick stored and published through
 * one reaches the SSE clients of both, and a client that moves to the other instance resumes
 * there after its Last-Event-ID.
 */
describe.skipIf(postgres.skip)('the live push across instances (PostgreSQL LISTEN/NOTIFY)', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let one: DevServer;
  let two: DevServer;
  let busOne: LiveBus;
  let s: BuiltSeason;
  const repo = () => createRepository(db.knex);

  beforeAll(async () => {
    db = await postgres.open();
    s = await buildSeason(repo(), { races: 1 });
    const env = { DATABASE_URL: db.url! };
    const clock = new SimulatedClock(new Date('2024-03-03T15:00:00Z'));
    const app = appOver(db, env);
    // Instance one's bus is the test's, to publish through; instance two chooses its own from the configuration.
    busOne = createLiveBus({ database: app.config.database, dbKind: db.kind, knex: db.knex, logger: silentLogger });
    one = await startDevServer({ app, clock, port: 0, liveBus: busOne });
    two = await startDevServer({ app: appOver(db, env), clock, port: 0 });
  }, 60_000);
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await busOne?.close();
    await db?.close();
  });

  it('a tick published through one instance reaches the clients of both; a client moving instances resumes without a gap', async () => {
    const race = s.races[0]!;
    const path = `/live/${race.id}/events`;
    const first = await storeAndPublish({ repo: repo(), bus: busOne }, tickAt(race, s.drivers, 0));
    const onOne = await openSse(one.url + path);
    const onTwo = await openSse(two.url + path);
    const alsoOnTwo = await openSse(two.url + path);
    for (const c of [onOne, onTwo, alsoOnTwo]) await c.waitFor((e) => e.length === 1);
    const later = [];
    for (const lap of [1, 2, 3]) later.push(await storeAndPublish({ repo: repo(), bus: busOne }, tickAt(race, s.drivers, lap)));
    for (const c of [onOne, onTwo, alsoOnTwo]) await c.waitFor((e) => e.length === 4);
    const expected = [first.id, ...later.map((t) => t.id)];
    expect([idsOf(onOne.events), idsOf(onTwo.events), idsOf(alsoOnTwo.events)]).toEqual([expected, expected, expected]);
    expect(lapsOf(onTwo.events)).toEqual([0, 1, 2, 3]);

    // The client on instance one goes; ticks keep coming; it comes back on instance two.
    const seen = onOne.events.at(-1)!.id!;
    onOne.close();
    const whileAway = [await storeAndPublish({ repo: repo(), bus: busOne }, tickAt(race, s.drivers, 4)), await storeAndPublish({ repo: repo(), bus: busOne }, tickAt(race, s.drivers, 5))];
    const back = await openSse(two.url + path, { 'Last-Event-ID': seen });
    await back.waitFor((e) => e.length === 2);
    expect(idsOf(back.events)).toEqual(whileAway.map((t) => t.id));
    for (const c of [onTwo, alsoOnTwo, back]) c.close();
  });
});
