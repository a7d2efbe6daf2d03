import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { liveReplayRace, startLiveOpenF1, type LiveOpenF1 } from '../../shared/emulator/openf1-live.js';
import { parseOpenF1Query } from '../../shared/emulator/openf1-query.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { buildLiveSeason, lineAt, NUMBERS, RACE_START, storeLiveLaps } from '../ingest/live/live-race.js';

describe('the emulated live OpenF1', () => {
  const clock = new SimulatedClock(new Date('2024-03-03T12:00:00Z'));
  let upstream: LiveOpenF1;
  beforeAll(async () => {
    const repo = createMemoryRepository();
    const s = await buildLiveSeason(repo);
    await storeLiveLaps(repo, s);
    upstream = await startLiveOpenF1({ race: await liveReplayRace(repo, 2024, 1), raceStart: RACE_START, clock, token: 'secret' });
  });
  afterAll(async () => upstream?.close());

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${upstream.baseUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.json()) as Record<string, unknown>[] & { detail?: string } };
  };

  it('serves the Race session to anyone before the start, and answers 401 without the token while it is live', async () => {
    const before = await get('/sessions?year=2024');
    expect(before.status).toBe(200);
    expect(before.body).toEqual([expect.objectContaining({ session_name: 'Race', year: 2024, date_start: RACE_START, session_key: upstream.sessionKey })]);
    clock.set(new Date(lineAt(0, 2)));
    const refused = await get('/laps?session_key=' + upstream.sessionKey);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/Authentication is required/);
    expect((await get('/laps?session_key=' + upstream.sessionKey, 'wrong')).status).toBe(401);
    expect((await get('/laps?session_key=' + upstream.sessionKey, 'secret')).status).toBe(200);
    // Half an hour after the last car's line, history is open again.
    clock.set(new Date(upstream.endsAt + 30 * 60_000 + 1));
    expect((await get('/laps?session_key=' + upstream.sessionKey)).status).toBe(200);
  });

  it('reveals laps, stints, stops, positions and gaps by the clock', async () => {
    // Mid lap 7 of the leader: 6 laps done by every car, the stops at the end of lap 6 made.
    clock.set(new Date(lineAt(0, 6) + 40_000));
    const key = upstream.sessionKey;
    const laps = (await get(`/laps?session_key=${key}`, 'secret')).body;
    expect(laps.filter((l) => l.driver_number === 1).map((l) => l.lap_number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(laps).toHaveLength(4 * 6);
    expect(laps.find((l) => l.driver_number === 4 && l.lap_number === 2)).toMatchObject({ date_start: new Date(lineAt(1, 1)).toISOString(), lap_duration: 80.5 });
    const stints = (await get(`/stints?session_key=${key}&driver_number=1`, 'secret')).body;
    expect(stints.map((x) => [x.stint_number, x.lap_start, x.lap_end, x.compound])).toEqual([[1, 1, 6, 'MEDIUM'], [2, 7, 7, 'HARD']]);
    expect((await get(`/pit?session_key=${key}`, 'secret')).body.map((p) => [p.driver_number, p.lap_number])).toEqual(NUMBERS.map((n) => [n, 6]));
    const intervals = (await get(`/intervals?session_key=${key}&driver_number=16`, 'secret')).body;
    expect(intervals).toHaveLength(6);
    // Car 3 loses 1 s a lap to the leader (and 5 s more on lap 1's 85 s).
    expect(intervals.at(-1)).toMatchObject({ gap_to_leader: 6, interval: 3, date: new Date(lineAt(2, 6)).toISOString() });
    // Positions change never here: one sample per car, at its first line.
    expect((await get(`/position?session_key=${key}`, 'secret')).body.map((p) => [p.driver_number, p.position])).toEqual(NUMBERS.map((n, i) => [n, i + 1]));
  });

  it("honours OpenF1's date> filter and derives race control from the laps' track status", async () => {
    clock.set(new Date(upstream.endsAt + 60 * 60_000));
    const key = upstream.sessionKey;
    const since = new Date(lineAt(0, 11)).toISOString();
    const recent = (await get(`/intervals?session_key=${key}&date>${since}`)).body;
    expect(recent.map((r) => r.date).every((d) => Date.parse(d as string) > Date.parse(since))).toBe(true);
    // After the leader's 11th line: its 12th, and the others' 11th and 12th.
    expect(recent.filter((r) => r.driver_number === 1)).toHaveLength(1);
    expect(recent).toHaveLength(1 + 3 * 2);
    const control = (await get(`/race_control?session_key=${key}`)).body.map((m) => m.message);
    expect(control).toEqual([
      'GREEN LIGHT - PIT EXIT OPEN', 'SAFETY CAR DEPLOYED', 'SAFETY CAR IN THIS LAP', 'TRACK CLEAR',
      'VIRTUAL SAFETY CAR DEPLOYED', 'VIRTUAL SAFETY CAR ENDING', 'TRACK CLEAR', 'CHEQUERED FLAG',
    ]);
    expect((await get(`/pit?session_key=${key}&lap_number>6`)).status).toBe(404);
  });

  it('parses the query as OpenF1 writes its filters, encoded or not', () => {
    expect(parseOpenF1Query('session_key=9161&date%3E=2023-09-16T13:03:35.200&lap_number<5')).toEqual([
      { field: 'session_key', op: '=', value: '9161' },
      { field: 'date', op: '>=', value: '2023-09-16T13:03:35.200' },
      { field: 'lap_number', op: '<', value: '5' },
    ]);
  });
});
