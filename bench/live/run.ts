/**
 * Live benchmark (npm run bench:live): a stored race replayed as live through the local
 * stack (`POST /ingest/live/replay`, what `npx pitwall live --replay` calls), with
 *  - one live tick (the poll and its ingest, every forecast for the field, store and push)
 *    against the goal of 300 ms, and
 *  - from a new lap at the upstream (the emulated OpenF1 serves it once it has ended on the
 *    replay's clock) to the dashboard's update (the tick that shows it, received over the
 *    Server-Sent Events stream a dashboard reads) against the goal of 2 s,
 * beside the baseline of a dashboard that polls GET /live/{raceId} once a second.
 *
 *   npm run build && npm run bench:live [-- --race 2024/10 --speed 60]
 * Reads the configured database (the PGlite file `npm start` fills, or DATABASE_URL): the
 * race's laps, a frozen forecast and a pit model should be there (`npm start` once does it).
 */
import { parseArgs } from 'node:util';
import { createAppContext } from '../../shared/app/context.js';
import { startDevServer } from '../../shared/app/dev-server.js';
import { systemClock } from '../../shared/clock.js';
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { sessionStartsAt } from '../../shared/domain/reference.js';
import { fieldLapMedians } from '../../shared/domain/timing.js';
import { readEvents } from '../../shared/live/sse-client.js';
import type { LiveTick } from '../../shared/live/types.js';
import { createLogger } from '../../shared/log/logger.js';

const { values } = parseArgs({ options: { race: { type: 'string' }, speed: { type: 'string' } } });
const [season, round] = (values.race ?? '2024/10').split('/').map(Number) as [number, number];
const speed = Number(values.speed ?? 60);
const config = parseConfig(readEnvironment(process.env));
// The stack's own logs stay quiet: this prints a table.
const logger = createLogger({ ...config.log, level: 'warn' });
const app = await createAppContext({ ...config, env: 'local' }, logger);
const server = await startDevServer({ app, clock: systemClock, port: 0 });
const percentile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : NaN);
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '—');

try {
  const race = await app.repo.races.bySeasonRound(season, round);
  if (!race) throw new Error(`no ${season}/${round} in the database: npm start (or pitwall ingest) first`);
  const laps = await app.repo.reference.laps(race.id);
  if (laps.length === 0) throw new Error(`${season}/${round} has no laps stored: pitwall ingest --laps <dir>`);
  // When each lap of the leader ended, in race-clock ms (as the emulated upstream reveals it).
  const ends = new Map<number, number[]>();
  const byDriver = new Map<number, typeof laps>();
  for (const l of laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  // As the emulated upstream times them: a lap without a time takes the field's median of it; one no car timed is none.
  const medians = fieldLapMedians(laps);
  for (const list of byDriver.values()) {
    let t = 0;
    for (const l of list.sort((a, b) => a.lap - b.lap)) {
      const ms = l.timeMs ?? medians.get(l.lap);
      if (ms === undefined) break;
      t += ms;
      ends.set(l.lap, [...(ends.get(l.lap) ?? []), t]);
    }
  }
  const leaderEnd = new Map([...ends].map(([lap, ts]) => [lap, Math.min(...ts)]));

  const pushed = new Map<number, number>(); // lap → wall ms the stream first showed it
  const polled = new Map<number, number>(); // lap → wall ms a 1 s poller first saw it
  const abort = new AbortController();
  // On connect the stream sends the race's current tick (a previous replay's): only ticks of this replay count.
  let replaying = false;
  const stream = readEvents(`${server.url}/live/${race.id}/events`, abort.signal, (e) => {
    if (!replaying) return;
    const tick = JSON.parse(e.data) as LiveTick;
    for (let lap = 1; lap <= tick.state.lap; lap++) if (!pushed.has(lap)) pushed.set(lap, Date.now());
  });
  const poller = (async () => {
    while (!abort.signal.aborted) {
      const res = await fetch(`${server.url}/live/${race.id}`, { signal: abort.signal }).catch(() => undefined);
      if (res?.ok) {
        const body = (await res.json()) as { latest?: LiveTick };
        const lap = replaying ? (body.latest?.state.lap ?? 0) : 0;
        for (let l = 1; l <= lap; l++) if (!polled.has(l)) polled.set(l, Date.now());
      } else await res?.body?.cancel();
      await new Promise((r) => setTimeout(r, 1000));
    }
  })().catch(() => undefined);

  await new Promise((r) => setTimeout(r, 500));
  replaying = true;
  const res = await fetch(`${server.url}/ingest/live/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ season, round, speed }) });
  const outcome = (await res.json()) as { ticks: number; lastLap: number; tickMs: { p50: number; p95: number; max: number; parts: { pollP50: number; forecastP50: number; storeP50: number } }; clock: { sessionStart: string; wallStart: string }; wallSeconds: number };
  if (!res.ok) throw new Error(`replay answered ${res.status}: ${JSON.stringify(outcome)}`);
  await new Promise((r) => setTimeout(r, 1500));
  abort.abort();
  await Promise.all([stream.catch(() => undefined), poller]);

  // A lap is at the upstream at (race start + its end) on the replay's clock: in wall time,
  // wallStart + (that instant − the clock's start) / speed.
  const raceStart = sessionStartsAt(race.sessions.race).getTime();
  const clockStart = Date.parse(outcome.clock.sessionStart);
  const wallStart = Date.parse(outcome.clock.wallStart);
  const atUpstream = (lap: number) => wallStart + (raceStart + leaderEnd.get(lap)! - clockStart) / speed;
  const latencies = (seen: Map<number, number>) => [...leaderEnd.keys()].filter((l) => seen.has(l)).map((l) => seen.get(l)! - atUpstream(l));
  const push = latencies(pushed);
  const poll = latencies(polled);
  const pollInterval = (config.live.pollSeconds * 1000) / speed;

  process.stdout.write(`\nlive replay of ${season} ${race.name}: ${leaderEnd.size} laps at ${speed}× (poll every ${config.live.pollSeconds} s of race time = ${ms(pollInterval)} wall), ${outcome.ticks} ticks, ${outcome.wallSeconds.toFixed(1)} s, database ${app.db.kind}\n\n`);
  process.stdout.write('| | measured (p50 / p95 / max) | baseline | goal |\n|---|---|---|---|\n');
  process.stdout.write(`| one live tick: poll + ingest, pit and finish forecasts for ${byDriver.size} cars, store + push | ${ms(outcome.tickMs.p50)} / ${ms(outcome.tickMs.p95)} / ${ms(outcome.tickMs.max)} | | ≤ 300 ms |\n`);
  const p = outcome.tickMs.parts;
  process.stdout.write(`| … of which (medians) the poll and its ingest / the forecasts / store and push | ${ms(p.pollP50)} / ${ms(p.forecastP50)} / ${ms(p.storeP50)} | | |\n`);
  process.stdout.write(
    `| new lap at the upstream → dashboard (SSE), ${push.length} laps | ${ms(percentile(push, 0.5))} / ${ms(percentile(push, 0.95))} / ${ms(Math.max(...push))} | polling GET /live/{raceId} every 1 s: ${ms(percentile(poll, 0.5))} / ${ms(percentile(poll, 0.95))} / ${ms(Math.max(...poll))} | ≤ 2 s |\n`,
  );
  process.stdout.write(`\nThe push latency includes waiting for the next poll (at most ${ms(pollInterval)} here; 30 s of race time at 1×).\n`);
} finally {
  await server.close();
  await app.close();
}
