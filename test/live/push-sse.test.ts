import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveApi } from '../../shared/api/live-routes.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { createRouter } from '../../shared/http/router.js';
import { createInProcessLiveBus, type LiveBus, type LiveListener } from '../../shared/live/live-bus.js';
import { storeAndPublish } from '../../shared/live/publish.js';
import { silentLogger } from '../../shared/log/logger.js';
import type { Repository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { idsOf, lapsOf, openSse } from './sse-client.js';
import { tickAt } from './ticks.js';

/** A bus that counts its subscribers, to see a stream let go of its subscription. */
function countingBus(inner: LiveBus): LiveBus & { subscribers(): number } {
  let n = 0;
  return {
    publish: (e) => inner.publish(e),
    subscribe(listener: LiveListener) {
      n++;
      const off = inner.subscribe(listener);
      return () => {
        n--;
        off();
      };
    },
    close: () => inner.close(),
    subscribers: () => n,
  };
}

let serial = 0;
/** The live routes under the production router and adapter, on functions-framework's own server. */
async function serve(deps: Parameters<typeof createLiveApi>[0]): Promise<{ url: string; server: http.Server }> {
  const name = `liveTest${++serial}`;
  registerHttp(name, toHttpFunction(createRouter(createLiveApi(deps), { logger: silentLogger, checkResponses: true }), silentLogger));
  const server = getTestServer(name);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('the live push over Server-Sent Events (one instance)', () => {
  let repo: Repository;
  let s: BuiltSeason;
  let bus: ReturnType<typeof countingBus>;
  let url: string;
  let server: http.Server;
  const publish = (lap: number) => storeAndPublish({ repo, bus }, tickAt(race(), s.drivers, lap));
  const race = () => s.races[0]!;

  beforeEach(async () => {
    repo = createMemoryRepository();
    s = await buildSeason(repo, { races: 2 });
    bus = countingBus(createInProcessLiveBus());
    ({ url, server } = await serve({ repo, bus, logger: silentLogger, heartbeatMs: 50, streamMaxMs: 60_000 }));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await bus.close();
  });

  it('sends the current tick on connect, then every new tick of the race to each of two clients, in order, with the tick id as event id', async () => {
    await publish(0);
    const current = await publish(1);
    const a = await openSse(`${url}/live/${race().id}/events`);
    const b = await openSse(`${url}/live/${race().id}/events`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toMatch(/^text\/event-stream/);
    await a.waitFor((e) => e.length === 1);
    await b.waitFor((e) => e.length === 1);
    expect(idsOf(a.events)).toEqual([current.id]);
    // Another race's tick is not this stream's.
    await storeAndPublish({ repo, bus }, tickAt(s.races[1]!, s.drivers, 4));
    const later = [await publish(2), await publish(3), await publish(4)];
    await a.waitFor((e) => e.length === 4);
    await b.waitFor((e) => e.length === 4);
    expect(idsOf(a.events)).toEqual([current.id, ...later.map((t) => t.id)]);
    expect(idsOf(b.events)).toEqual(idsOf(a.events));
    expect(lapsOf(a.events)).toEqual([1, 2, 3, 4]);
    expect(a.events.every((e) => e.event === 'tick')).toBe(true);
    expect(JSON.parse(a.events[3]!.data)).toEqual(later[2]);
    a.close();
    b.close();
  });

  it('resumes after Last-Event-ID without a gap or a repeat, ticks stored while the client was away included', async () => {
    const first = [await publish(0), await publish(1), await publish(2)];
    const a = await openSse(`${url}/live/${race().id}/events`);
    await a.waitFor((e) => e.length === 1);
    a.close();
    // Stored while no client listened: nobody was woken for them.
    const missed = [await publish(3), await publish(4)];
    const back = await openSse(`${url}/live/${race().id}/events`, { 'Last-Event-ID': String(first[1]!.id) });
    await back.waitFor((e) => e.length === 3);
    expect(idsOf(back.events)).toEqual([first[2]!.id, ...missed.map((t) => t.id)]);
    const next = await publish(5);
    await back.waitFor((e) => e.length === 4);
    expect(idsOf(back.events).at(-1)).toBe(next.id);
    back.close();
  });

  it('waits on a race with no tick yet and sends its first; a heartbeat comment keeps the stream open', async () => {
    const a = await openSse(`${url}/live/${race().id}/events`);
    await a.waitFor(() => a.comments.includes('heartbeat'));
    expect(a.events).toEqual([]);
    const first = await publish(0);
    await a.waitFor((e) => e.length === 1);
    expect(idsOf(a.events)).toEqual([first.id]);
    a.close();
  });

  it('answers HEAD with the stream headers only, and holds no subscription for it', async () => {
    const head = await fetch(`${url}/live/${race().id}/events`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await until(() => bus.subscribers() === 0);
  });

  it('drops the subscription when the client goes', async () => {
    const a = await openSse(`${url}/live/${race().id}/events`);
    const b = await openSse(`${url}/live/${race().id}/events`);
    await until(() => bus.subscribers() === 2);
    a.close();
    await until(() => bus.subscribers() === 1);
    b.close();
    await until(() => bus.subscribers() === 0);
  });

  it('catches up on the heartbeat when an event was lost (the bus was reconnecting)', async () => {
    const a = await openSse(`${url}/live/${race().id}/events`);
    await a.waitFor(() => a.comments.length > 0);
    // Stored but never announced.
    const silent = await repo.liveTicks.append(tickAt(race(), s.drivers, 9));
    await a.waitFor((e) => e.length === 1);
    expect(idsOf(a.events)).toEqual([silent.id]);
    a.close();
  });

  it('answers an unknown race and a malformed Last-Event-ID with the JSON error, not a stream', async () => {
    const missing = await fetch(`${url}/live/987654/events`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const bad = await fetch(`${url}/live/${race().id}/events`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/Last-Event-ID/);
  });

  it('GET /live lists the race with its latest lap; GET /live/{raceId} has its latest tick, drivers and the win history over laps', async () => {
    expect((await (await fetch(`${url}/live`)).json()).races).toEqual([]);
    expect((await fetch(`${url}/live/${race().id}`)).status).toBe(404);
    for (const lap of [0, 1, 2]) await publish(lap);
    const live = await (await fetch(`${url}/live`)).json();
    expect(live.races.map((r: { race: { id: number }; lap: number }) => [r.race.id, r.lap])).toEqual([[race().id, 2]]);
    const body = await (await fetch(`${url}/live/${race().id}`)).json();
    expect(body.latest.state.lap).toBe(2);
    expect(body.history.map((h: { lap: number }) => h.lap)).toEqual([0, 1, 2]);
    expect(body.history[2].win).toEqual(tickAt(race(), s.drivers, 2).finish.map((f) => ({ driverId: f.driverId, p: f.win })));
    expect(body.drivers.map((d: { driverId: number }) => d.driverId)).toEqual(s.drivers);
    expect(body.drivers[0].code).toMatch(/^[A-Z]{3}$/);
  });

  it('serves many clients of one race with one read per published tick', async () => {
    let reads = 0;
    const counted: Repository = { ...repo, liveTicks: { ...repo.liveTicks, list: (...a) => (reads++, repo.liveTicks.list(...a)) } };
    const many = await serve({ repo: counted, bus, logger: silentLogger, heartbeatMs: 60_000, streamMaxMs: 60_000 });
    await publish(0);
    const clients = await Promise.all(Array.from({ length: 20 }, () => openSse(`${many.url}/live/${race().id}/events`)));
    await Promise.all(clients.map((c) => c.waitFor((e) => e.length === 1)));
    reads = 0;
    const next = await publish(1);
    await Promise.all(clients.map((c) => c.waitFor((e) => e.length === 2)));
    expect(clients.every((c) => idsOf(c.events).at(-1) === next.id)).toBe(true);
    expect(reads).toBe(1);
    for (const c of clients) c.close();
    many.server.closeAllConnections();
    await new Promise((r) => many.server.close(r));
  });

  it('ends the stream itself after its longest life, for the browser to resume', async () => {
    const short = await serve({ repo, bus, logger: silentLogger, heartbeatMs: 1_000, streamMaxMs: 100 });
    const a = await openSse(`${short.url}/live/${race().id}/events`);
    await a.ended;
    short.server.closeAllConnections();
    await new Promise((r) => short.server.close(r));
    await until(() => bus.subscribers() === 0);
  });
});
