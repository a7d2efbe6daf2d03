import { createAppContext } from '../../app/context.js';
import { startDevServer, type DevServer } from '../../app/dev-server.js';
import { systemClock } from '../../clock.js';
import type { Config } from '../../config/config.js';
import { DatabaseInUseError } from '../../db/pglite-lock.js';
import { PitwallError, ValidationError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { LiveTick } from '../../live/types.js';
import { readEvents } from '../../live/sse-client.js';
import { flagCommand } from '../command.js';
import { prepareLocalStack } from '../local-stack.js';

/**
 * `pitwall live`: a race followed live through the ingest function's live routes, the
 * same path the scheduled live job calls. With --replay a stored race is played as live
 * (an emulated OpenF1 serving it at --speed times real time); without, the real OpenF1 is
 * polled for the race's session (OPENF1_TOKEN). A running `npm start` (at --server, by
 * default this machine's PORT) does the work, so its dashboard shows the race; when none
 * answers, this command starts the same local stack itself and keeps it up afterwards.
 */

const RACE = /^(\d{4})\/(\d{1,2})$/;

function parseRace(value: string | undefined, flag: string): { season: number; round: number } {
  const m = RACE.exec(value ?? '');
  if (!m) throw new ValidationError(`${flag} takes <season>/<round>, e.g. 2024/10; got ${value ?? '(none)'}`);
  return { season: Number(m[1]), round: Number(m[2]) };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    await res.body?.cancel();
    return res.status < 500 || res.status === 503;
  } catch {
    return false;
  }
}

class LiveCallError extends PitwallError {
  override readonly httpStatus = 502;
  constructor(message: string) {
    super(message, 'live_call_failed');
  }
}

async function call(server: string, config: Config, path: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${server}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const parsed = (() => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { message: text };
    }
  })();
  if (!res.ok) throw new LiveCallError(`${path} answered ${res.status}: ${String((parsed.error as { message?: string } | undefined)?.message ?? parsed.message ?? text)}`);
  return parsed;
}

/** One line per lap: the leader, the track, the top of the live forecast, the likeliest stop. */
export function tickLine(tick: LiveTick, code: (driverId: number) => string): string {
  const top = [...tick.finish].sort((a, b) => b.win - a.win).slice(0, 3).map((f) => `${code(f.driverId)} ${(f.win * 100).toFixed(0)}%`).join(' ');
  const leader = tick.state.cars.find((c) => c.position === 1);
  const pit = tick.pits && [...tick.pits].sort((a, b) => b.within1 - a.within1)[0];
  const track = tick.state.trackStatus === 'green' ? '' : ` ${tick.state.trackStatus.toUpperCase()}`;
  return `lap ${tick.state.lap}/${tick.state.totalLaps}${track} · leads ${leader ? code(leader.driverId) : '—'} · P(win) ${top}${pit ? ` · next in: ${code(pit.driverId)} ${(pit.within1 * 100).toFixed(0)}%` : ''}`;
}

async function follow(server: string, config: Config, logger: Logger, stdout: NodeJS.WritableStream, o: { season: number; round: number; replay: boolean; speed: number }) {
  const races = (await call(server, config, `/races?season=${o.season}`)) as { races?: { id: number; round: number; name: string }[] };
  const race = races.races?.find((r) => r.round === o.round);
  if (!race) {
    const rounds = (races.races ?? []).map((r) => r.round);
    throw new ValidationError(rounds.length ? `${o.season} has rounds ${Math.min(...rounds)}–${Math.max(...rounds)}, not ${o.round}` : `no ${o.season} calendar at ${server}: ingest the season first (npx pitwall ingest)`);
  }
  const drivers = (await call(server, config, `/drivers?season=${o.season}`).catch(() => ({}))) as { drivers?: { id: number; code: string | null; name: string }[] };
  const codes = new Map((drivers.drivers ?? []).map((d) => [d.id, d.code ?? d.name]));
  const code = (id: number) => codes.get(id) ?? `#${id}`;
  const tty = (stdout as NodeJS.WriteStream).isTTY === true;
  const dashboard = `${server}/dashboard/?live=${race.id}`;
  // The stream opens on the race's current tick (an earlier session's): only newer ones are this one's.
  const before = (await call(server, config, `/live/${race.id}`).catch(() => ({}))) as { latest?: { id: number } };
  const after = before.latest?.id ?? 0;
  logger.info(`${o.replay ? `starting the replay of ${o.season} ${race.name} at ${o.speed}×` : `following ${o.season} ${race.name}`}`, { raceId: race.id });
  const abort = new AbortController();
  let lastLap = -1;
  const watching = readEvents(`${server}/live/${race.id}/events`, abort.signal, (event) => {
    const tick = JSON.parse(event.data) as LiveTick;
    if ((tick.id ?? 0) <= after) return;
    if (lastLap === -1) logger.info(`live on the dashboard: ${dashboard}`, { raceId: race.id, dashboard });
    if (tick.state.lap === lastLap) return;
    lastLap = tick.state.lap;
    if (tty) stdout.write(`${tickLine(tick, code)}\n`);
    else logger.info('live tick', { raceId: tick.raceId, lap: tick.state.lap, totalLaps: tick.state.totalLaps, trackStatus: tick.state.trackStatus });
  }).catch((err: unknown) => {
    if (!abort.signal.aborted) logger.warn('the live event stream closed', { error: err instanceof Error ? err.message : String(err) });
  });
  try {
    const path = o.replay ? '/ingest/live/replay' : '/ingest/live';
    const body = o.replay ? { season: o.season, round: o.round, speed: o.speed } : { season: o.season, round: o.round, seconds: 4 * 3600 };
    const outcome = await call(server, config, path, body);
    // The last pushed tick may still be on its way.
    await new Promise((resolve) => setTimeout(resolve, 300));
    logger.info(`${o.replay ? 'replay' : 'live session'} over: ${String(outcome.ticks)} ticks to lap ${String(outcome.lastLap)}`, { ...outcome });
    return outcome;
  } finally {
    abort.abort();
    await watching;
  }
}

export const liveCommand = flagCommand({
  summary: 'follow a race live (OpenF1, OPENF1_TOKEN) or replay a stored one as live, pushed to the dashboard',
  usage: [
    'pitwall live --replay <season>/<round> [--speed 60] | pitwall live --race <season>/<round>   [--server <url>] [--exit]',
    '  --replay   a stored race (any with lap data: 2019–2024 R18 here) played as live through an emulated OpenF1',
    '  --speed    times real time for a replay (1–600, default 60: a 90-minute race in 90 s)',
    '  --race     a race running now, polled from OpenF1 every LIVE_POLL_SECONDS (needs OPENF1_TOKEN)',
    '  --server   the running npm start to do it (default http://127.0.0.1:$PORT); none: this command starts the stack',
    '  --exit     with no server running, stop once the race is over instead of serving the dashboard on',
  ].join('\n'),
  flags: { replay: { type: 'string' }, race: { type: 'string' }, speed: { type: 'string' }, server: { type: 'string' }, exit: { type: 'boolean' } },
  async run({ config, logger, stdout }, values) {
    if ((values.replay === undefined) === (values.race === undefined)) throw new ValidationError(`give one of --replay <season>/<round> or --race <season>/<round>\nusage: ${this.usage}`);
    const target = values.replay !== undefined ? parseRace(values.replay, '--replay') : parseRace(values.race, '--race');
    const speed = values.speed === undefined ? 60 : Number(values.speed);
    if (!(speed >= 1 && speed <= 600)) throw new ValidationError(`--speed must be 1–600 (times real time), got ${values.speed}`);
    const options = { ...target, replay: values.replay !== undefined, speed };
    const server = (values.server ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
    if (await answers(server)) {
      await follow(server, config, logger, stdout, options);
      return 0;
    }
    if (values.server) throw new ValidationError(`nothing answers at ${values.server}: start it (npm start) or leave --server out to run the stack here`);
    // No server: this process is the local stack (as npm start, without its first-start season replay).
    const app = await createAppContext({ ...config, env: 'local' }, logger).catch((err: unknown) => {
      // npm start holds the database but does not answer yet: it is still starting.
      if (err instanceof DatabaseInUseError) throw new ValidationError(`${err.message}\nIf that is npm start, it is still starting: run this again once it logs "pitwall listening on ${server}"`);
      throw err;
    });
    let dev: DevServer | undefined;
    try {
      await prepareLocalStack(app, { train: true });
      dev = await startDevServer({ app, clock: systemClock, port: config.port });
      logger.info(`pitwall listening on ${dev.url}`, { url: dev.url });
      await follow(dev.url, config, logger, stdout, options);
      if (!values.exit) {
        logger.info(`the dashboard stays up at ${dev.url} (Ctrl-C stops it; --exit stops after the race)`, { url: dev.url });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
      }
      return 0;
    } finally {
      await dev?.close();
      await app.close();
    }
  },
});
