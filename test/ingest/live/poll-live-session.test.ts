import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createOpenF1Client, OpenF1AuthError } from '../../../shared/clients/openf1.js';
import { openf1Limits } from '../../../shared/clients/pacer.js';
import { SimulatedClock } from '../../../shared/clock.js';
import { liveReplayRace, startLiveOpenF1, type LiveOpenF1 } from '../../../shared/emulator/openf1-live.js';
import { FINISH_GRACE_MS, pollLiveSession, type LivePollDeps } from '../../../shared/ingest/live/poll-live-session.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { createMemoryRepository } from '../../../shared/repository/memory/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import type { BuiltSeason } from '../../helpers/builders.js';
import { buildLiveSeason, lineAt, LAPS, RACE_START, storeLiveLaps, TRACK_STATUS } from './live-race.js';

const TOKEN = 'live-token';

for (const backend of backends) {
  describe.skipIf(backend.skip)(`pollLiveSession against the emulated live OpenF1 on ${backend.name}`, () => {
    const clock = new SimulatedClock(new Date(RACE_START));
    let upstream: LiveOpenF1;
    let close: () => Promise<void>;
    let repo: Repository;
    let s: BuiltSeason;
    let deps: LivePollDeps;
    const requests: string[] = [];

    beforeAll(async () => {
      // The stored race the emulator replays, and the database the poll writes: the same
      // season, where the fourth car has no number in the results (so its rows are quarantined).
      const stored = createMemoryRepository();
      await storeLiveLaps(stored, await buildLiveSeason(stored));
      upstream = await startLiveOpenF1({ race: await liveReplayRace(stored, 2024, 1), raceStart: RACE_START, clock, token: TOKEN });
      const db = await backend.open();
      close = () => db.close();
      repo = createRepository(db.knex);
      s = await buildLiveSeason(repo, 3);
      const tracked: typeof fetch = (input, init) => {
        requests.push(decodeURIComponent(String(input)).replace(upstream.baseUrl, ''));
        return fetch(input, init);
      };
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock(), fetch: tracked });
      deps = { repo, logger: silentLogger, openf1: createOpenF1Client({ http, baseUrl: upstream.baseUrl, token: TOKEN }), now: () => clock.now() };
    });
    afterAll(async () => {
      await upstream?.close();
      await close?.();
    });
    beforeEach(() => {
      requests.length = 0;
    });

    const raceId = () => s.races[0]!.id;
    const ref = { season: 2024, round: 1 };

    it('stores what OpenF1 serves mid-race, laps with the track status race control gives; a second poll changes nothing', async () => {
      clock.set(new Date(lineAt(0, 7) + 10_000));
      const first = await pollLiveSession(deps, ref);
      expect(requests.map((r) => r.split('?')[0])).toEqual(['/sessions', '/laps', '/stints', '/pit', '/position', '/intervals', '/race_control', '/weather']);
      expect(first).toMatchObject({ raceId: raceId(), sessionKey: upstream.sessionKey, leaderLap: 7, ended: false });
      // The latest data: the third car's 7th line (the fourth's is still 0.5 s ahead of the clock).
      expect(first.at).toBe(new Date(lineAt(2, 7)).toISOString());
      // Three numbered cars × 7 laps ended and the 8th begun (its stint says so); the fourth car's
      // 6 laps, 2 stints and 1 stop are quarantined, not stored.
      expect(first.counts.laps).toMatchObject({ inserted: 3 * 8, quarantined: 6 + 2 + 1 });
      const quarantined = await repo.ingestionRuns.quarantined(first.runId);
      expect(quarantined.map((q) => q.reason)).toContain('openf1: no car #81 among the entrants of 2024 R1');
      expect(quarantined.filter((q) => q.tableName === 'live_timing').map((q) => q.reason)).toContain("openf1 position: no car #81 among the race's entrants");

      const laps = await repo.reference.laps(raceId(), s.drivers[0]);
      // The leader's laps carry the digits the stored race had: race control round-trips the status
      // (the 8th, begun, has none until it ends).
      expect(laps.map((l) => l.trackStatus)).toEqual([...Array.from({ length: 7 }, (_, k) => TRACK_STATUS[k + 1] ?? '1'), null]);
      expect(laps.find((l) => l.lap === 6)).toMatchObject({ pitIn: true, compound: 'MEDIUM', tyreLife: 8, sources: ['openf1'] });
      expect(laps.find((l) => l.lap === 7)).toMatchObject({ pitOut: true, compound: 'HARD', stint: 2, tyreLife: 1 });
      expect((await repo.reference.raceControl(raceId())).map((m) => m.message)).toEqual(['GREEN LIGHT - PIT EXIT OPEN', 'SAFETY CAR DEPLOYED', 'SAFETY CAR IN THIS LAP', 'TRACK CLEAR']);
      const timing = await repo.liveTiming.latest(raceId());
      expect(timing.map((t) => [t.position, t.gapToLeaderMs])).toEqual([[1, null], [2, 3_500], [3, 7_000]]);

      const again = await pollLiveSession(deps, ref);
      for (const table of ['laps', 'race_control'] as const) expect(again.counts[table]).toMatchObject({ inserted: 0, updated: 0 });
      expect(again.counts.live_timing).toMatchObject({ inserted: 0, updated: 0 });
      expect(await repo.reference.laps(raceId(), s.drivers[0])).toEqual(laps);
    });

    it('reads position and intervals from the cursor on, and sees the chequered flag', async () => {
      clock.set(new Date(lineAt(0, 9)));
      const mid = await pollLiveSession(deps, ref);
      // The leader's 9th line, now: the latest sample read.
      expect(mid.cursor.intervalsSince).toBe(new Date(lineAt(0, 9)).toISOString());
      // The winner's line plus the grace for the field behind him.
      clock.set(new Date(lineAt(0, LAPS) + FINISH_GRACE_MS));
      requests.length = 0;
      const end = await pollLiveSession(deps, ref, mid.cursor);
      const from = new Date(lineAt(0, 9) - 5_000).toISOString();
      expect(requests.filter((r) => /^\/(position|intervals)/.test(r))).toEqual([
        `/position?session_key=${upstream.sessionKey}&date>${new Date(Date.parse(mid.cursor.positionSince!) - 5_000).toISOString()}`,
        `/intervals?session_key=${upstream.sessionKey}&date>${from}`,
      ]);
      // Only what came after the cursor less its 5 s overlap: gaps at the leader's 9th line and after
      // (1 + 3 + 3 laps × 4 cars); positions never changed after lap 1, so its 4 samples are the edge re-read.
      expect(end.counts.live_timing?.read).toBe(1 + 3 + 3 * 4 + 4);
      expect(end).toMatchObject({ leaderLap: LAPS, ended: true, chequeredAt: new Date(lineAt(0, LAPS)).toISOString() });
      const laps = await repo.reference.laps(raceId(), s.drivers[0]);
      expect(laps.map((l) => l.trackStatus)).toEqual(Array.from({ length: LAPS }, (_, k) => TRACK_STATUS[k + 1] ?? '1'));
      // Half a second a lap per place over 12 laps.
      expect((await repo.liveTiming.latest(raceId())).map((t) => t.gapToLeaderMs)).toEqual([null, 6_000, 12_000]);
    });

    it('is not ended at the chequered flag, while the field behind the winner still has its last lap to run', async () => {
      clock.set(new Date(lineAt(0, LAPS) + 1_000));
      const poll = await pollLiveSession(deps, ref);
      expect(poll).toMatchObject({ ended: false, chequeredAt: new Date(lineAt(0, LAPS)).toISOString() });
    });

    it('without the token, fails with the message that says to set OPENF1_TOKEN', async () => {
      clock.set(new Date(lineAt(0, 3)));
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock() });
      const anonymous = { ...deps, openf1: createOpenF1Client({ http, baseUrl: upstream.baseUrl }) };
      const err = await pollLiveSession(anonymous, ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenF1AuthError);
      expect((err as Error).message).toMatch(/^OpenF1 serves live sessions only to authenticated users: set OPENF1_TOKEN/);
    });
  });
}

describe('pollLiveSession replaying a stored race into its own database', () => {
  it('keeps the stored laps and writes live timing, returning the laps it read with their track status', async () => {
    const repo = createMemoryRepository();
    const s = await buildLiveSeason(repo);
    await storeLiveLaps(repo, s);
    const before = await repo.reference.laps(s.races[0]!.id);
    const clock = new SimulatedClock(new Date(lineAt(3, 5)));
    const upstream = await startLiveOpenF1({ race: await liveReplayRace(repo, 2024, 1), raceStart: RACE_START, clock });
    try {
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock() });
      const deps = { repo, logger: silentLogger, openf1: createOpenF1Client({ http, baseUrl: upstream.baseUrl }), now: () => clock.now() };
      const poll = await pollLiveSession(deps, { season: 2024, round: 1 });
      expect(poll.warnings).toContain('2024 R1 already has laps from fastf1: kept as stored, this poll\'s not written (a replay of a stored race)');
      expect(await repo.reference.laps(s.races[0]!.id)).toEqual(before);
      // 4 cars × 5 lines of gaps, and the 4 positions of lap 1's line on the same rows.
      expect(poll.counts.live_timing).toMatchObject({ read: 4 * 5 + 4, inserted: 4 * 5, quarantined: 0 });
      expect(poll.laps.filter((l) => l.driverRef === s.driverRefs[0] && l.trackStatus).map((l) => l.trackStatus)).toEqual(['1', '1', '1', '14', '4']);
      expect(poll.trackStatus).toBe('sc');
    } finally {
      await upstream.close();
    }
  });
});
