import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/clock.js';
import { readEvents } from '../../shared/live/sse-client.js';
import type { LiveTick } from '../../shared/live/types.js';
import { appOver } from '../api/stack.js';
import { LAPS, RACE_START } from '../ingest/live/live-race.js';
import { postgres, startLiveRaceStack, type LiveRaceStack } from './live-race-stack.js';


/**
 * A stored race replayed as live through the ingest function's replay route, as
 * `npx pitwall live --replay` calls it: the emulated OpenF1 serves the race on a scaled
 * clock, the real client polls it, each tick is stored and pushed, and a dashboard's event
 * stream sees the race unfold lap by lap. On the real PostgreSQL (LISTEN/NOTIFY).
 */
describe.skipIf(postgres.skip)('a stored race replayed as live', () => {
  let stack: LiveRaceStack;
  let db: LiveRaceStack['db'];
  let server: DevServer;
  let raceId: number;
  const repo = () => stack.repo;

  beforeAll(async () => {
    stack = await startLiveRaceStack();
    ({ db, server, raceId } = stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('plays the race lap by lap through the live ingest and forecasts, pushed to a dashboard stream, and leaves the stored race as it was', async () => {
    const before = await repo().reference.laps(raceId);
    const seen: LiveTick[] = [];
    const abort = new AbortController();
    const stream = readEvents(`${server.url}/live/${raceId}/events`, abort.signal, (e) => seen.push(JSON.parse(e.data) as LiveTick));
    // 12 laps of about 80 s plus the minute before the start, at 80×: about 13 s (a lap a second: a tick under load never spans two).
    const res = await fetch(`${server.url}/ingest/live/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ season: 2024, round: 1, speed: 80 }) });
    const outcome = (await res.json()) as { ended: boolean; lastLap: number; ticks: number; tickMs: { p95: number } };
    await new Promise((r) => setTimeout(r, 500));
    abort.abort();
    await stream;

    expect(res.status, JSON.stringify(outcome)).toBe(200);
    expect(outcome).toMatchObject({ ended: true, lastLap: LAPS });
    const laps = seen.map((t) => t.state.lap);
    // The grid first (the prior's own odds), then every lap, in order, none skipped.
    expect(seen[0]).toMatchObject({ finishBasis: 'pre-race', source: 'replay' });
    expect(laps).toEqual([...laps].sort((a, b) => a - b));
    expect(new Set(laps)).toEqual(new Set(Array.from({ length: LAPS + 1 }, (_, i) => i)));
    // Race control, derived by the emulator from the stored status and read back by the poll.
    expect(seen.filter((t) => t.state.trackStatus === 'sc').map((t) => t.state.lap)).toEqual(expect.arrayContaining([4]));
    for (const t of seen) {
      expect(t.finish.reduce((sum, f) => sum + f.win, 0)).toBeCloseTo(1, 5);
      expect(t.state.cars).toHaveLength(4);
    }
    // The leader at the end is the car that led every lap in the stored race.
    const last = seen.at(-1)!;
    const leader = last.state.cars.find((c) => c.position === 1)!;
    expect(Math.max(...last.finish.map((f) => f.win))).toBe(last.finish.find((f) => f.driverId === leader.driverId)!.win);
    // Every poll went through the loader: the live timing is stored, the race's laps unchanged.
    expect((await repo().liveTiming.latest(raceId)).length).toBe(4);
    const after = await repo().reference.laps(raceId);
    const strip = (ls: typeof before) => ls.map(({ sources: _s, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
  }, 60_000);

  it('polls a race live only within its live window, and only with an OpenF1 token, saying which is missing', async () => {
    const poll = (url: string) => fetch(`${url}/ingest/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ season: 2024, round: 1, seconds: 1 }) });
    const past = await poll(server.url);
    expect(past.status).toBe(409);
    expect(((await past.json()) as { error: { message: string } }).error.message).toMatch(/not running now: it is followed live from 2024-03-03T12:55:00.000Z to 2024-03-03T16:00:00.000Z.*--replay 2024\/1/);
    // During the race, without OPENF1_TOKEN: the 503 says what to set (OpenF1 serves a running session only with one).
    const during = await startDevServer({ app: appOver(db, { DATABASE_URL: db.url! }), clock: new SimulatedClock(new Date(RACE_START)), port: 0 });
    try {
      const refused = await poll(during.url);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/set OPENF1_TOKEN/);
    } finally {
      await during.close();
    }
  }, 60_000);

  it('refuses a second replay of the same race while one runs; a later one replaces the last replay, never a live session', async () => {
    const earlier = await repo().liveTicks.list(raceId);
    const body = JSON.stringify({ season: 2024, round: 1, speed: 400 });
    const post = () => fetch(`${server.url}/ingest/live/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const first = post();
    await new Promise((r) => setTimeout(r, 300));
    const second = await post();
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(/being replayed already/);
    const done = await first;
    expect(done.status).toBe(200);
    // The new replay's ticks, all new (the same instants as the last replay's, which are gone): a stream sees them as new.
    const now = await repo().liveTicks.list(raceId);
    expect(now).toHaveLength(((await done.json()) as { ticks: number }).ticks);
    expect(Math.min(...now.map((t) => t.id!))).toBeGreaterThan(Math.max(...earlier.map((t) => t.id!)));
    // A race followed live keeps its session: no replay over it.
    await repo().liveTicks.append({ ...now.at(-1)!, id: undefined, at: '2024-03-03T16:00:00.000Z', source: 'openf1' });
    const refused = await post();
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/followed live/);
  }, 60_000);
});
