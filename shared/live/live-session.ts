import { randomUUID } from 'node:crypto';
import { ScaledClock, type Clock } from '../clock.js';
import { createApiClients, type ApiClientsConfig } from '../clients/api-clients.js';
import type { OpenF1Client } from '../clients/openf1.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import { liveReplayRace, startLiveOpenF1 } from '../emulator/openf1-live.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { pollLiveSession, type LiveCursor } from '../ingest/live/poll-live-session.js';
import type { Logger } from '../log/logger.js';
import type { LoadedPitModel } from '../pits/serve.js';
import type { Repository } from '../repository/index.js';
import type { LiveBus } from './live-bus.js';
import { runLiveSession, type LivePoll, type LiveTickDeps, type SessionRun, type TickOutcome } from './tick.js';

/**
 * A race session followed live, and a stored race replayed as live: both poll an OpenF1
 * (the real one, or the emulated one serving the stored race on a scaled clock) through
 * the same client, pollLiveSession and tick.
 */
export interface LiveSessionDeps {
  repo: Repository;
  bus: LiveBus;
  logger: Logger;
  policy: FreezePolicy;
  pitModel: () => Promise<LoadedPitModel | null>;
  /** Seconds between two polls on the session's clock (LIVE_POLL_SECONDS). */
  pollSeconds: number;
}

/** The tick's view of one poll: the data instant, the start, the leader's lap, the flag. */
function poller(deps: LiveSessionDeps, openf1: OpenF1Client, clock: Clock, logger: Logger) {
  const warned = new Set<string>();
  return async (race: Race, cursor: LiveCursor | undefined): Promise<LivePoll<LiveCursor>> => {
    const poll = await pollLiveSession({ repo: deps.repo, logger, openf1, now: () => clock.now() }, { season: race.season, round: race.round }, cursor);
    // Once per session each: a replay's "kept as stored" would otherwise come twice a second.
    for (const warning of poll.warnings.filter((w) => !warned.has(w))) {
      warned.add(warning);
      logger.warn(warning, { raceId: race.id, sessionKey: poll.sessionKey });
    }
    return {
      at: new Date(poll.at),
      startedAt: poll.startedAt ? new Date(poll.startedAt) : null,
      leaderLap: poll.leaderLap,
      ended: poll.ended,
      cursor: poll.cursor,
    };
  };
}

const tickDeps = (deps: LiveSessionDeps, openf1: OpenF1Client, clock: Clock, source: 'openf1' | 'replay'): LiveTickDeps<LiveCursor> & { clock: Clock } => ({
  repo: deps.repo,
  bus: deps.bus,
  logger: deps.logger,
  policy: deps.policy,
  pitModel: deps.pitModel,
  poll: poller(deps, openf1, clock, deps.logger),
  source,
  clock,
});

/** Polls the real session for `seconds` (the scheduled job: about a minute per call) or until the flag. */
export function followLiveSession(deps: LiveSessionDeps & { openf1: OpenF1Client; clock: Clock }, race: Race, seconds: number, onTick?: (o: TickOutcome<LiveCursor>) => void): Promise<SessionRun> {
  return runLiveSession(tickDeps(deps, deps.openf1, deps.clock, 'openf1'), race, { intervalMs: deps.pollSeconds * 1000, untilMs: seconds * 1000, ...(onTick ? { onTick } : {}) });
}

/** The replay starts this long before the lights go out on its clock, so the first tick is the grid (the pre-race forecast). */
export const REPLAY_LEAD_MS = 60_000;
const REPLAY_TAIL_MS = 5 * 60_000;

export interface ReplayOutcome extends SessionRun {
  raceId: number;
  speed: number;
  /** The replay's clock: the session instant it started at and the wall instant it started. */
  clock: { sessionStart: string; wallStart: string };
  /** Each tick's own work, ms: p50, p95, max; and the median of its parts. */
  tickMs: { p50: number; p95: number; max: number; parts: { pollP50: number; forecastP50: number; storeP50: number } };
  wallSeconds: number;
}

const percentile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : 0);

/**
 * A stored race (its laps, stints and stops) played as if live at `speed` times real time:
 * an emulated OpenF1 serves it as it stood at each instant, behind a token as OpenF1's live
 * sessions are, and the real client polls it every `pollSeconds` of the race's clock.
 */
export async function replayLiveRace(
  deps: LiveSessionDeps & { clients: ApiClientsConfig },
  season: number,
  round: number,
  o: { speed: number; onTick?: (o: TickOutcome<LiveCursor>) => void },
): Promise<ReplayOutcome> {
  const stored = await liveReplayRace(deps.repo, season, round);
  if (stored.laps.length === 0) throw new NotFoundError('lap data of race', `${season}/${round}`, 'a replay plays stored laps: load lap files with npx pitwall ingest --laps <dir>');
  // A race followed live keeps its ticks: a replay would be read back as that session (same instants).
  if (await deps.repo.liveTicks.hasLiveSession(stored.race.id)) throw new ConflictError(`${season}/${round} was followed live: its ticks are kept and a replay would mix with them`);
  // A new replay is a new session at the same instants: the last replay's ticks go first.
  const cleared = await deps.repo.liveTicks.clearReplay(stored.race.id);
  if (cleared) deps.logger.info(`replay of ${season}/${round}: the previous replay's ${cleared} ticks cleared`, { raceId: stored.race.id, cleared });
  const raceStart = sessionStartsAt(stored.race.sessions.race);
  const wallStart = new Date();
  const clock = new ScaledClock(new Date(raceStart.getTime() - REPLAY_LEAD_MS), o.speed);
  const token = randomUUID();
  const upstream = await startLiveOpenF1({ race: stored, raceStart, clock, token });
  const logger = deps.logger.child({ replay: `${season}/${round}`, speed: o.speed });
  const { openf1 } = createApiClients({ ...deps.clients, openf1BaseUrl: upstream.baseUrl, openf1Token: token }, logger, clock);
  const race = (await deps.repo.races.byId(stored.race.id))!;
  const tickMs: number[] = [];
  const parts = { poll: [] as number[], forecast: [] as number[], store: [] as number[] };
  try {
    const run = await runLiveSession(tickDeps({ ...deps, logger }, openf1, clock, 'replay'), race, {
      intervalMs: deps.pollSeconds * 1000,
      // Until the race is over (a few minutes after the flag, once the field has run its last
      // lap); the session's end plus that is the limit should no flag come.
      untilMs: upstream.endsAt - clock.now().getTime() + REPLAY_LEAD_MS + REPLAY_TAIL_MS,
      onTick: (outcome) => {
        if (outcome.tick) {
          const { pollMs, forecastMs, storeMs } = outcome.timings;
          tickMs.push(pollMs + forecastMs + storeMs);
          parts.poll.push(pollMs);
          parts.forecast.push(forecastMs);
          parts.store.push(storeMs);
        }
        o.onTick?.(outcome);
      },
    });
    return {
      ...run,
      raceId: race.id,
      speed: o.speed,
      clock: { sessionStart: new Date(raceStart.getTime() - REPLAY_LEAD_MS).toISOString(), wallStart: wallStart.toISOString() },
      tickMs: {
        p50: percentile(tickMs, 0.5), p95: percentile(tickMs, 0.95), max: Math.max(0, ...tickMs),
        parts: { pollP50: percentile(parts.poll, 0.5), forecastP50: percentile(parts.forecast, 0.5), storeP50: percentile(parts.store, 0.5) },
      },
      wallSeconds: (Date.now() - wallStart.getTime()) / 1000,
    };
  } finally {
    await upstream.close();
  }
}
