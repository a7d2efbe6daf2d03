import type { Clock } from '../clock.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import type { Race } from '../domain/reference.js';
import { OpenF1AuthError } from '../clients/openf1.js';
import { NotReadyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { RaceInput } from '../pits/features.js';
import { forecastAtLatestLaps, type LoadedPitModel } from '../pits/serve.js';
import { defaultLiveFinishParams, liveFinishForecast } from './finish-forecast.js';
import { loadLiveRace, loadLiveRaceContext, type LiveRaceContext } from './live-race.js';
import type { LiveBus } from './live-bus.js';
import { storeAndPublish } from './publish.js';
import { raceStateAt } from './race-state.js';
import type { LivePitOdds, LiveTick } from './types.js';

/**
 * One live tick: poll the upstream once (store what is new), rebuild the race as it stood
 * at the data's instant, forecast every car's pit stops and the finishing order, store the
 * tick and push it to every instance's dashboards. The scheduled live job, the replay and
 * the benchmark all run this one path.
 */

/** What one poll of the live session tells the tick (shared/ingest/live). */
export interface LivePoll<C = unknown> {
  /** The instant of the newest data the upstream served. */
  at: Date;
  /** The race start (lap 1's start); null until a lap 1 is served. */
  startedAt: Date | null;
  leaderLap: number;
  /** The chequered flag has been shown: no more ticks for this race. */
  ended: boolean;
  cursor: C;
}

export interface LiveTickDeps<C = unknown> {
  repo: Repository;
  bus: LiveBus;
  logger: Logger;
  policy: FreezePolicy;
  poll: (race: Race, cursor: C | undefined) => Promise<LivePoll<C>>;
  /** The serving pit model; null until one is trained (the tick carries no pit odds then). */
  pitModel: () => Promise<LoadedPitModel | null>;
  source: LiveTick['source'];
}

export interface TickOutcome<C = unknown> {
  tick: LiveTick | null;
  poll: LivePoll<C>;
  /** Milliseconds of the tick's own work: the poll's ingest, then the forecasts and the store. */
  timings: { pollMs: number; forecastMs: number; storeMs: number };
}

/** Every running car at its own last lap (a lapped car's decision comes later than the leader's). */
const pitOdds = (model: LoadedPitModel | null, input: RaceInput, running: ReadonlySet<number>): LivePitOdds[] | null =>
  model
    ? forecastAtLatestLaps(model, input)
        .filter((f) => running.has(f.driverId))
        .map((f) => ({ driverId: f.driverId, within1: f.withinLaps['1'], within3: f.withinLaps['3'], within5: f.withinLaps['5'], alarm: f.alarm }))
    : null;

export async function liveTick<C>(deps: LiveTickDeps<C>, race: Race, cursor?: C, context?: LiveRaceContext): Promise<TickOutcome<C>> {
  const t0 = performance.now();
  const poll = await deps.poll(race, cursor);
  const t1 = performance.now();
  const shared = context ?? (await loadLiveRaceContext(deps.repo, race, deps.policy));
  // Before the first lap is served the race is its grid: no lap has ended, the prior stands.
  const live = await loadLiveRace(deps.repo, shared, { at: poll.at, startedAt: poll.startedAt ?? poll.at });
  const lap = Math.min(poll.leaderLap, Math.max(0, ...live.input.laps.map((l) => l.lap)));
  // Race control's latest word, else the laps' own status (raceStateAt reads the last lap's).
  const trackStatus = (live.input.trackEvents ?? []).filter((e) => e.atMs <= live.raceClockMs).at(-1)?.status;
  const state = raceStateAt({ raceId: race.id, totalLaps: live.input.totalLaps, laps: live.input.laps, teams: live.input.teams, lap, ...(trackStatus ? { trackStatus } : {}) });
  const model = await deps.pitModel();
  // No stop to forecast before the start or once the leader has run the distance.
  const racing = lap > 0 && lap < state.totalLaps;
  const pits = racing ? pitOdds(model, live.input, new Set(state.cars.filter((c) => !c.retired).map((c) => c.driverId))) : null;
  const circuit = live.input.circuit;
  const finish = liveFinishForecast(state, live.prior ?? [], defaultLiveFinishParams, race.id * 1000 + lap, {
    ...(circuit?.pitLossMs ? { pitLossSeconds: circuit.pitLossMs / 1000 } : {}),
    ...(circuit ? { medianStint: circuit.medianStint } : {}),
  });
  const t2 = performance.now();
  const tick: LiveTick = {
    raceId: race.id,
    season: race.season,
    round: race.round,
    at: poll.at.toISOString(),
    state,
    pits,
    pitModelVersion: pits && model ? model.version : null,
    finish,
    finishBasis: lap === 0 ? 'pre-race' : 'live',
    source: deps.source,
  };
  const stored = await storeAndPublish({ repo: deps.repo, bus: deps.bus }, tick);
  const t3 = performance.now();
  return { tick: stored, poll, timings: { pollMs: t1 - t0, forecastMs: t2 - t1, storeMs: t3 - t2 } };
}

export interface SessionRun {
  ticks: number;
  lastLap: number;
  ended: boolean;
}

/**
 * Ticks every `intervalMs` on `clock` until the session ends or `untilMs` (on the clock)
 * has passed: the scheduled job runs a minute of it per call, the replay the whole race.
 * A failed tick is logged and the next one tries again (a poll that failed stored nothing).
 */
export async function runLiveSession<C>(
  deps: LiveTickDeps<C> & { clock: Clock },
  race: Race,
  o: { intervalMs: number; untilMs: number; onTick?: (outcome: TickOutcome<C>) => void },
): Promise<SessionRun> {
  const until = deps.clock.now().getTime() + o.untilMs;
  let cursor: C | undefined;
  // Known before the start (entry list, distance, circuit history, the frozen forecast): read once.
  const context = await loadLiveRaceContext(deps.repo, race, deps.policy);
  if (!context.prior) deps.logger.warn('no frozen pre-race forecast: the live forecast starts from an even field', { raceId: race.id });
  const run: SessionRun = { ticks: 0, lastLap: 0, ended: false };
  let waiting: NotReadyError | undefined;
  let lastId: number | undefined;
  for (;;) {
    const started = deps.clock.now().getTime();
    try {
      const outcome = await liveTick(deps, race, cursor, context);
      cursor = outcome.poll.cursor;
      // A poll that found nothing newer stores no new tick (one per data instant).
      if (outcome.tick && outcome.tick.id !== lastId) {
        run.ticks++;
        run.lastLap = outcome.tick.state.lap;
        lastId = outcome.tick.id;
      }
      o.onTick?.(outcome);
      if (outcome.poll.ended) return { ...run, ended: true };
    } catch (err) {
      // No token: every poll would say the same, the caller is told what to set.
      if (err instanceof OpenF1AuthError) throw err;
      // Not started or not listed yet: wait through this call's window, then say why nothing came.
      if (err instanceof NotReadyError) waiting = err;
      else deps.logger.warn('live tick failed; the next one retries', { raceId: race.id, error: err instanceof Error ? err.message : String(err) });
    }
    const next = started + o.intervalMs;
    if (next >= until) {
      if (run.ticks === 0 && waiting) throw waiting;
      return run;
    }
    await deps.clock.sleep(next - deps.clock.now().getTime());
  }
}
