import { z } from 'zod';
import type { ApiClientsConfig } from '../clients/api-clients.js';
import type { OpenF1Client } from '../clients/openf1.js';
import type { Clock } from '../clock.js';
import { liveWindow } from '../domain/live-window.js';
import { ConflictError, NotFoundError, NotReadyError } from '../errors.js';
import { json } from '../http/handler.js';
import { bind, defineRoute, refusal, writeRefusals, type BoundRoute } from '../http/route.js';
import { followLiveSession, replayLiveRace, type LiveSessionDeps } from './live-session.js';

/**
 * The ingest function's live routes: the scheduled poll of a running race (a minute per
 * call, every minute through the race window) and a stored race replayed as live. Both run
 * the one tick (shared/live/tick.ts); the dashboards get each tick from the api function's
 * event stream, on any instance.
 */

const raceRef = { season: z.number().int().min(2023).max(2100), round: z.number().int().min(1).max(40) };

export const liveRequest = z
  .object({ ...raceRef, seconds: z.number().int().min(1).max(4 * 3600).optional().describe('how long this call polls (default 55: the job calls every minute)') })
  .strict();
export const replayRequest = z
  .object({
    season: z.number().int().min(1950).max(2100),
    round: z.number().int().min(1).max(40),
    speed: z.number().min(1).max(600).default(60).describe('times real time'),
  })
  .strict();

const runBody = z.object({
  raceId: z.number().int(),
  ticks: z.number().int().describe('ticks stored and pushed'),
  lastLap: z.number().int().describe("the leader's lap at the last tick"),
  ended: z.boolean().describe('the chequered flag was shown'),
});
const replayBody = runBody.extend({
  speed: z.number(),
  clock: z.object({ sessionStart: z.string(), wallStart: z.string() }).describe("the replay's clock: the race instant it started at, and the wall instant"),
  tickMs: z
    .object({ p50: z.number(), p95: z.number(), max: z.number(), parts: z.object({ pollP50: z.number(), forecastP50: z.number(), storeP50: z.number() }) })
    .describe('each tick: poll and ingest, every forecast, store and push; the median of each part'),
  wallSeconds: z.number(),
});

export const liveSessionRoutes = {
  live: defineRoute({
    method: 'POST',
    path: '/live',
    summary: "Poll a running race's live timing (OpenF1, OPENF1_TOKEN) every LIVE_POLL_SECONDS for about a minute: store it, forecast pit stops and the finish, push each tick",
    body: liveRequest,
    write: true,
    responses: {
      200: { description: 'the ticks this call made', schema: runBody },
      409: refusal('the race is not running now (outside its live window): error.message gives the window'),
      503: refusal('the session has not started, OpenF1 lists it not yet, or no OPENF1_TOKEN: error.message says which; retry after Retry-After'),
      ...writeRefusals,
    },
  }),
  replay: defineRoute({
    method: 'POST',
    path: '/live/replay',
    summary: 'Replay a stored race as live: an emulated OpenF1 serves its laps as they happened at `speed` times real time, polled and forecast as a live session',
    body: replayRequest,
    write: true,
    responses: {
      200: { description: 'the replay ran to the flag', schema: replayBody },
      409: refusal('this race is being replayed already, or was followed live (its ticks are kept)'),
      ...writeRefusals,
    },
  }),
};

export interface LiveSessionRouteDeps extends LiveSessionDeps {
  openf1: OpenF1Client;
  clock: Clock;
  /** The API client settings a replay's own OpenF1 client is built from (its base URL replaced); its token polls a live session. */
  clients: ApiClientsConfig;
  openf1Token?: string;
}

const DEFAULT_POLL_CALL_SECONDS = 55;

export function liveSessionFunction(deps: LiveSessionRouteDeps): BoundRoute[] {
  // One replay of a race at a time per instance: two would interleave their ticks.
  const replaying = new Set<string>();
  const raceOf = async (season: number, round: number) => {
    const race = await deps.repo.races.bySeasonRound(season, round);
    if (!race) throw new NotFoundError('race', `${season}/${round}`, 'the races of a season are listed by GET /races?season=<year>');
    return race;
  };
  return [
    bind(liveSessionRoutes.live, async ({ body }) => {
      const race = await raceOf(body.season, body.round);
      const window = liveWindow(race);
      const now = deps.clock.now();
      if (now < window.from || now > window.to) {
        throw new ConflictError(
          `${body.season}/${body.round} is not running now: it is followed live from ${window.from.toISOString()} to ${window.to.toISOString()}; a past race can be replayed (POST /ingest/live/replay, npx pitwall live --replay ${body.season}/${body.round})`,
        );
      }
      if (!deps.openf1Token) throw new NotReadyError('OpenF1 serves a session while it runs only to authenticated users: set OPENF1_TOKEN', 3600);
      const run = await followLiveSession(deps, race, body.seconds ?? DEFAULT_POLL_CALL_SECONDS);
      return json(200, { raceId: race.id, ...run });
    }),
    bind(liveSessionRoutes.replay, async ({ body }) => {
      const key = `${body.season}/${body.round}`;
      if (replaying.has(key)) throw new ConflictError(`${key} is being replayed already: watch it on the dashboard, or wait for it to end`);
      replaying.add(key);
      try {
        return json(200, await replayLiveRace(deps, body.season, body.round, { speed: body.speed }));
      } finally {
        replaying.delete(key);
      }
    }),
  ];
}
