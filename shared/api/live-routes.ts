import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { header, json, type ResponseStream } from '../http/handler.js';
import { bind, defineRoute, refusals, type BoundRoute } from '../http/route.js';
import type { LiveBus, LiveEvent } from '../live/live-bus.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { StoredLiveTick } from '../repository/live-ticks-store.js';
import { decimalId } from './schemas.js';

/** How long a race stays listed by GET /live after its last stored tick. */
export const LIVE_WITHIN_HOURS = 6;
/** A comment line this often keeps proxies and the platform from cutting an idle stream. */
export const HEARTBEAT_MS = 15_000;
/**
 * A stream ends itself after this long, before the api function's platform timeout (900 s in
 * terraform/main.tf) cuts it mid-write: the browser reconnects with Last-Event-ID and loses nothing.
 */
export const STREAM_MAX_MS = 600_000;
/** What the browser waits before reconnecting (the SSE `retry:` field). */
export const RECONNECT_MS = 1_000;
/** Ticks read per query when a reconnecting client catches up. */
const CATCH_UP_PAGE = 200;

const compound = z.enum(['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET', 'UNKNOWN']);
const probability = z.number().min(0).max(1);
export const liveTickBody = z.object({
  id: z.number().int().describe('the stored tick: the SSE event id'),
  raceId: z.number().int(),
  season: z.number().int(),
  round: z.number().int(),
  at: z.string().describe('ISO instant of the upstream data the tick read (the session clock)'),
  state: z.object({
    raceId: z.number().int(),
    totalLaps: z.number().int(),
    lap: z.number().int().describe("laps the leader has completed"),
    trackStatus: z.enum(['green', 'yellow', 'vsc', 'sc', 'red']),
    cars: z.array(z.object({
      driverId: z.number().int(), constructorId: z.number().int().nullable(), position: z.number().int(), lapsCompleted: z.number().int(),
      gapToLeaderMs: z.number().nullable(), intervalMs: z.number().nullable(), lastLapMs: z.number().nullable(),
      compound: compound.nullable(), tyreLife: z.number().nullable(), stops: z.number().int(), retired: z.boolean(),
    }).passthrough()),
  }).passthrough(),
  pits: z.array(z.object({ driverId: z.number().int(), within1: probability, within3: probability, within5: probability, alarm: z.boolean() }).passthrough()).nullable(),
  pitModelVersion: z.string().nullable(),
  finish: z.array(z.object({ driverId: z.number().int(), win: probability, podium: probability, points: probability, expectedPosition: z.number() }).passthrough()),
  finishBasis: z.enum(['pre-race', 'live']),
  source: z.enum(['openf1', 'replay']),
}).passthrough();

const raceRef = z.object({ id: z.number().int(), season: z.number().int(), round: z.number().int(), name: z.string() });
const liveRaceSummary = z.object({
  race: raceRef,
  tickId: z.number().int(),
  at: z.string(),
  lap: z.number().int(),
  totalLaps: z.number().int(),
  trackStatus: z.string(),
  source: z.enum(['openf1', 'replay']),
});
export const liveRacesBody = z.object({ withinHours: z.number(), races: z.array(liveRaceSummary) });
export const liveRaceBody = z.object({
  race: raceRef,
  drivers: z.array(z.object({ driverId: z.number().int(), code: z.string().nullable(), name: z.string(), team: z.string().nullable() })),
  latest: liveTickBody,
  history: z.array(z.object({
    tickId: z.number().int(),
    lap: z.number().int(),
    at: z.string(),
    win: z.array(z.object({ driverId: z.number().int(), p: probability })),
  })).describe("every stored tick's lap and each driver's P(win): the chart over laps"),
});
const liveParams = z.object({ raceId: decimalId('raceId', '/live/1121') });

export const liveRoutes = {
  races: defineRoute({
    method: 'GET', path: '/live', summary: `Races with live ticks in the last ${LIVE_WITHIN_HOURS} hours, with their latest tick's lap and track status`,
    responses: { 200: { description: 'the live races, most recently updated first', schema: liveRacesBody }, ...refusals },
  }),
  race: defineRoute({
    method: 'GET', path: '/live/{raceId}', summary: 'The latest live tick of a race, its drivers, and the win-probability history over laps', params: liveParams,
    responses: { 200: { description: 'the latest tick and the history', schema: liveRaceBody }, ...refusals },
  }),
  events: defineRoute({
    method: 'GET', path: '/live/{raceId}/events',
    summary: `Server-Sent Events: on connect the current tick (or, with Last-Event-ID, every tick after it), then each new tick of the race as it is stored, event "tick" with id: the tick id; a comment every ${HEARTBEAT_MS / 1000} s; the stream ends after ${STREAM_MAX_MS / 1000} s and the browser resumes it`,
    params: liveParams,
    headers: z.object({ 'last-event-id': z.string().optional().describe('the id of the last tick the client has: the stream starts after it (sent by EventSource on reconnect)') }),
    responses: {
      200: { description: 'text/event-stream of ticks (data: a live tick as JSON)', mediaType: 'text/event-stream', schema: z.string().describe('id: <tick id>\\nevent: tick\\ndata: <live tick JSON>\\n\\n') },
      ...refusals,
    },
  }),
};

export interface LiveApiDeps {
  repo: Repository;
  bus: LiveBus;
  logger: Logger;
  heartbeatMs?: number;
  streamMaxMs?: number;
  withinHours?: number;
}

const raceRefOf = (r: { id: number; season: number; round: number; name: string }) => ({ id: r.id, season: r.season, round: r.round, name: r.name });

/** The live routes of the api function: the live races, one race's latest tick and history, its event stream. */
export function createLiveApi(deps: LiveApiDeps): BoundRoute[] {
  const { repo } = deps;
  const reads = sharedReads(repo);
  const withinHours = deps.withinHours ?? LIVE_WITHIN_HOURS;
  const raceOf = async (raceId: number) => {
    const race = await repo.races.byId(raceId);
    if (!race) throw new NotFoundError('race', raceId, 'the races of a season are listed by GET /races?season=<year>');
    return race;
  };
  return [
    bind(liveRoutes.races, async () => {
      const ticks = await repo.liveTicks.liveRaces(withinHours * 3_600_000);
      const races = await Promise.all(
        ticks.map(async (t) => {
          const race = await repo.races.byId(t.raceId);
          return { race: race ? raceRefOf(race) : { id: t.raceId, season: t.season, round: t.round, name: `${t.season} round ${t.round}` }, tickId: t.id, at: t.at, lap: t.state.lap, totalLaps: t.state.totalLaps, trackStatus: t.state.trackStatus, source: t.source };
        }),
      );
      return json(200, { withinHours, races }, { 'Cache-Control': 'no-store' });
    }),
    bind(liveRoutes.race, async ({ params }) => {
      const race = await raceOf(params.raceId);
      const [latest, history, drivers, teams] = await Promise.all([repo.liveTicks.latest(race.id), repo.liveTicks.history(race.id), repo.reference.drivers(), repo.reference.constructors()]);
      if (!latest) throw new NotFoundError('live tick of race', race.id, 'no live ticks stored for this race: they appear once the live ingest (or npx pitwall live --replay) runs');
      const teamName = new Map(teams.map((c) => [c.id, c.name]));
      const driverById = new Map(drivers.map((d) => [d.id, d]));
      const ids = [...new Set([...latest.state.cars.map((c) => c.driverId), ...history.flatMap((h) => h.finish.map((f) => f.driverId))])];
      const teamOf = new Map(latest.state.cars.map((c) => [c.driverId, c.constructorId]));
      return json(200, {
        race: raceRefOf(race),
        drivers: ids.map((id) => {
          const d = driverById.get(id);
          const team = teamOf.get(id);
          return { driverId: id, code: d?.code ?? null, name: d ? `${d.forename} ${d.surname}` : `driver ${id}`, team: team == null ? null : (teamName.get(team) ?? null) };
        }),
        latest,
        history: history.map((h) => ({ tickId: h.id, lap: h.lap, at: h.at, win: h.finish.map((f) => ({ driverId: f.driverId, p: f.win })) })),
      }, { 'Cache-Control': 'no-store' });
    }),
    bind(liveRoutes.events, async ({ req, params }) => {
      const race = await raceOf(params.raceId);
      const after = lastEventIdOf(header(req, 'last-event-id'));
      return {
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
        body: undefined,
        stream: (out) => streamTicks({ reads, bus: deps.bus, logger: deps.logger, heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS, streamMaxMs: deps.streamMaxMs ?? STREAM_MAX_MS }, race.id, after, out),
      };
    }),
  ];
}

function lastEventIdOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,12}$/.test(value.trim())) throw new ValidationError(`Last-Event-ID must be the id of a tick this stream sent (a whole number); got "${value.slice(0, 40)}"`);
  return Number(value.trim());
}

/** One SSE event per tick: its id is the tick id, so a reconnecting EventSource says where it was. */
export const tickEvent = (t: StoredLiveTick): string => `id: ${t.id}\nevent: tick\ndata: ${JSON.stringify(t)}\n\n`;

/**
 * Streams a race's ticks to one client: subscribe first (nothing published meanwhile is
 * missed), then the current tick, or every tick after Last-Event-ID; then, on each event of
 * this race, the ticks after the last one sent, read from the store in id order (so a
 * repeated or coalesced event sends nothing twice). Each heartbeat also catches up, for
 * events lost while the bus was reconnecting.
 */
async function streamTicks(
  deps: { reads: SharedReads; bus: LiveBus; logger: Logger; heartbeatMs: number; streamMaxMs: number },
  raceId: number,
  after: number | undefined,
  out: ResponseStream,
): Promise<void> {
  const { reads, bus, logger } = deps;
  let last = after;
  let running: Promise<void> | undefined;
  let again = false;
  let wokenAt = 0;
  const send = (t: StoredLiveTick) => {
    out.write(tickEvent(t));
    last = t.id;
  };
  const pump = async () => {
    if (last === undefined) {
      const latest = await reads.latest(raceId, wokenAt);
      last = 0;
      if (latest) send(latest);
      return;
    }
    for (;;) {
      const page = await reads.after(raceId, last, wokenAt);
      for (const t of page) {
        if (out.signal.aborted) return;
        send(t);
      }
      if (page.length < CATCH_UP_PAGE) return;
    }
  };
  const wake = (cause?: LiveEvent) => {
    if (out.signal.aborted) return;
    wokenAt = reads.mark(cause);
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pump();
      } while (again && !out.signal.aborted);
    })()
      .catch((err) => logger.warn('live stream: reading ticks failed; the next event or heartbeat retries', { err, raceId }))
      .finally(() => (running = undefined));
  };

  const unsubscribe = bus.subscribe((e) => {
    if (e.raceId === raceId && e.tickId > (last ?? 0)) wake(e);
  });
  const heartbeat = setInterval(() => {
    out.write(': heartbeat\n\n');
    wake();
  }, deps.heartbeatMs);
  try {
    out.write(`retry: ${RECONNECT_MS}\n\n`);
    wake();
    await new Promise<void>((resolve) => {
      if (out.signal.aborted) return resolve();
      const end = setTimeout(resolve, deps.streamMaxMs);
      out.signal.addEventListener('abort', () => {
        clearTimeout(end);
        resolve();
      }, { once: true });
    });
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    await running;
  }
}

interface SharedReads {
  /**
   * Where the reads stand when a stream is woken, by `cause`: the streams woken by one event
   * (the bus hands each listener the same object) share an epoch, any other wake opens one.
   */
  mark(cause?: LiveEvent): number;
  latest(raceId: number, notBefore: number): Promise<StoredLiveTick | undefined>;
  after(raceId: number, afterId: number, notBefore: number): Promise<StoredLiveTick[]>;
}

/**
 * One event wakes every stream of the race on this instance, and most of them ask the same
 * question (the ticks after the one they all sent last): a read in flight is shared, so a
 * hundred open dashboards cost one query, not a hundred pooled connections. Only a read that
 * started in the stream's wake epoch or later is shared with it: an older one may predate
 * the tick it was woken for.
 */
function sharedReads(repo: Repository): SharedReads {
  let epoch = 0;
  let lastCause: LiveEvent | undefined;
  const inflight = new Map<string, { startedAt: number; read: Promise<unknown> }>();
  const shared = <T>(key: string, notBefore: number, read: () => Promise<T>): Promise<T> => {
    const current = inflight.get(key);
    if (current && current.startedAt >= notBefore) return current.read as Promise<T>;
    const entry: { startedAt: number; read: Promise<unknown> } = { startedAt: epoch, read: Promise.resolve() };
    entry.read = read().finally(() => {
      if (inflight.get(key) === entry) inflight.delete(key);
    });
    inflight.set(key, entry);
    return entry.read as Promise<T>;
  };
  return {
    mark(cause) {
      if (cause === undefined || cause !== lastCause) {
        lastCause = cause;
        epoch++;
      }
      return epoch;
    },
    latest: (raceId, notBefore) => shared(`latest:${raceId}`, notBefore, () => repo.liveTicks.latest(raceId)),
    after: (raceId, afterId, notBefore) => shared(`after:${raceId}:${afterId}`, notBefore, () => repo.liveTicks.list(raceId, { afterId, limit: CATCH_UP_PAGE })),
  };
}
