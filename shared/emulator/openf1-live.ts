import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.js';
import type { Lap, PitStop, Race } from '../domain/reference.js';
import { fieldLapMedians } from '../domain/timing.js';
import type { SessionWeatherSample } from '../domain/weather.js';
import { raceCars } from '../ingest/live/car-numbers.js';
import { matchesQuery, parseOpenF1Query } from './openf1-query.js';
import type { Repository } from '../repository/index.js';

/**
 * OpenF1 serving one stored race as if it were running: what OpenF1 would have answered at
 * the clock's instant, derived from the race's stored laps (cumulative lap times from the
 * start instant). A lap is served once it has ended; a stint once it has begun, up to the lap
 * being run; a pit stop once its in-lap has ended; position and intervals at each car's line
 * crossings; race control from the laps' FastF1 track status (the leader's laps: SC, VSC,
 * red, yellow, clear) and the chequered flag. `npx pitwall live --replay` polls it through the
 * real client and pollLiveSession. While the session is live (start to end + 30 min) a
 * configured token is required, as OpenF1 requires one; `date>` style filters and equality
 * filters are honoured; an empty answer is OpenF1's 404 {"detail":"No results found."}.
 */

export interface LiveReplayRace {
  race: Pick<Race, 'id' | 'season' | 'round' | 'name' | 'sessions'>;
  /** Car numbers as the live poll maps them (raceCars: the race's result numbers). */
  entrants: { driverId: number; number: number }[];
  laps: readonly Lap[];
  /** The stops' durations for /pit (optional). */
  pitStops?: readonly PitStop[];
  /** The race session's stored weather samples, shifted with the start (optional). */
  weather?: readonly SessionWeatherSample[];
}

export interface LiveOpenF1Options {
  race: LiveReplayRace;
  /** The instant the lights go out. On the race's day: pollLiveSession matches a session to a race by its date. */
  raceStart: Date | string;
  clock: Clock;
  /** When given, required as `Authorization: Bearer <token>` while the session is live. */
  token?: string;
}

export interface LiveOpenF1 {
  /** OPENF1_BASE_URL for the client (…/v1). */
  baseUrl: string;
  sessionKey: number;
  /** Instant the last car crossed the line (ms). */
  endsAt: number;
  close(): Promise<void>;
}

/** How long after the end a session still counts as live (OpenF1 keeps it behind the token a while). */
export const LIVE_AFTER_END_MS = 30 * 60_000;
const FALLBACK_LAP_MS = 90_000;

type Row = Record<string, unknown>;
/** A row with the instant it becomes visible. */
interface Timed {
  visibleAt: number;
  row: Row;
}

/** The stored rows the emulator needs for a race, read through the repository. */
export async function liveReplayRace(repo: Repository, season: number, round: number): Promise<LiveReplayRace> {
  const race = await repo.races.bySeasonRound(season, round);
  if (!race) throw new Error(`no race ${season}/${round} stored`);
  const { cars } = await raceCars(repo, race);
  const weather = (await repo.reference.sessionWeather(race.id)).filter((w) => w.session === 'race');
  return { race, entrants: cars.map((c) => ({ driverId: c.driverId, number: c.number })), laps: await repo.reference.laps(race.id), pitStops: await repo.reference.pitStops(race.id), weather };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : undefined;
};
const iso = (ms: number) => new Date(ms).toISOString();

/** Everything the race will have served by its end, each row with the instant it appears. */
export function liveRaceFeed(input: LiveReplayRace, raceStart: number) {
  const meetingKey = input.race.season * 100 + input.race.round;
  const sessionKey = meetingKey * 10 + 7;
  const keys = { session_key: sessionKey, meeting_key: meetingKey };
  const numberOf = new Map(input.entrants.map((e) => [e.driverId, e.number]));
  // A car's untimed laps past its last timed one are tyre-export artefacts (OpenF1's stints run to
  // the in-lap after the flag), not laps it drove: the feed would count a lap the race never had.
  const lastTimed = new Map<number, number>();
  for (const l of input.laps) if (l.timeMs) lastTimed.set(l.driverId, Math.max(l.lap, lastTimed.get(l.driverId) ?? 0));
  const laps = input.laps
    .filter((l) => numberOf.has(l.driverId) && l.lap <= (lastTimed.get(l.driverId) ?? 0))
    .sort((a, b) => a.driverId - b.driverId || a.lap - b.lap);

  // Lap times: a missing one (FastF1 has none for lap 1) is the lap's median across the field.
  const byLap = fieldLapMedians(laps);
  const overall = median(laps.flatMap((l) => (l.timeMs ? [l.timeMs] : [])));
  const ends = new Map<number, Map<number, { start: number; end: number; lap: Lap }>>();
  for (const l of laps) {
    const car = ends.get(l.driverId) ?? new Map();
    ends.set(l.driverId, car);
    const start = car.get(l.lap - 1)?.end ?? raceStart;
    const ms = l.timeMs ?? byLap.get(l.lap) ?? overall ?? FALLBACK_LAP_MS;
    car.set(l.lap, { start, end: start + ms, lap: l });
  }
  const totalLaps = Math.max(0, ...laps.map((l) => l.lap));
  /** Crossings of the line at the end of each lap, earliest first. */
  const crossings = new Map<number, { driverId: number; end: number }[]>();
  for (const [driverId, car] of ends) for (const [lap, e] of car) crossings.set(lap, [...(crossings.get(lap) ?? []), { driverId, end: e.end }]);
  for (const list of crossings.values()) list.sort((a, b) => a.end - b.end);
  const lastEnd = Math.max(raceStart, ...[...ends.values()].flatMap((car) => [...car.values()].map((e) => e.end)));

  const lapRows: Timed[] = [];
  const stintRows: Timed[] = [];
  const pitRows: Timed[] = [];
  const positionRows: Timed[] = [];
  const intervalRows: Timed[] = [];
  const durationOf = new Map((input.pitStops ?? []).map((p) => [`${p.driverId}/${p.lap}`, p.milliseconds]));

  for (const [driverId, car] of ends) {
    const driver_number = numberOf.get(driverId)!;
    const stints = new Map<number, { first: { start: number; lap: Lap }; laps: { start: number; lap: Lap }[] }>();
    for (const [lap, e] of car) {
      lapRows.push({
        visibleAt: e.end,
        row: { ...keys, driver_number, lap_number: lap, date_start: iso(e.start), lap_duration: (e.end - e.start) / 1000, is_pit_out_lap: e.lap.pitOut ?? false, duration_sector_1: null, duration_sector_2: null, duration_sector_3: null },
      });
      if (e.lap.pitIn) {
        const ms = durationOf.get(`${driverId}/${lap}`);
        pitRows.push({ visibleAt: e.end, row: { ...keys, driver_number, lap_number: lap, date: iso(e.end), pit_duration: ms ? ms / 1000 : null } });
      }
      if (e.lap.stint !== null) {
        const s = stints.get(e.lap.stint) ?? { first: { start: e.start, lap: e.lap }, laps: [] };
        s.laps.push({ start: e.start, lap: e.lap });
        stints.set(e.lap.stint, s);
      }
    }
    // A stint appears as it begins; its lap_end grows with each lap begun (one row per version, the latest visible wins).
    for (const [stint_number, s] of stints) {
      for (const l of s.laps) {
        stintRows.push({
          visibleAt: l.start,
          row: { ...keys, driver_number, stint_number, lap_start: s.first.lap.lap, lap_end: l.lap.lap, compound: s.first.lap.compound, tyre_age_at_start: s.first.lap.tyreLife === null ? null : Math.max(0, s.first.lap.tyreLife - 1) },
        });
      }
    }
  }

  // Position changes and gaps at each crossing.
  const leaderLapsAt = (t: number) => {
    let done = 0;
    for (let lap = 1; lap <= totalLaps; lap++) if ((crossings.get(lap)?.[0]?.end ?? Number.POSITIVE_INFINITY) <= t) done = lap;
    return done;
  };
  const lastPosition = new Map<number, number>();
  for (let lap = 1; lap <= totalLaps; lap++) {
    const list = crossings.get(lap) ?? [];
    list.forEach((c, i) => {
      const driver_number = numberOf.get(c.driverId)!;
      // The running order at this line: who crossed it first (a retired car no longer crosses).
      const position = i + 1;
      if (lastPosition.get(c.driverId) !== position) positionRows.push({ visibleAt: c.end, row: { ...keys, driver_number, date: iso(c.end), position } });
      lastPosition.set(c.driverId, position);
      const down = leaderLapsAt(c.end) - lap;
      const gap = i === 0 ? null : down >= 1 ? `+${down} LAP${down > 1 ? 'S' : ''}` : Math.round(c.end - list[0]!.end) / 1000;
      const interval = i === 0 ? null : Math.round(c.end - list[i - 1]!.end) / 1000;
      intervalRows.push({ visibleAt: c.end, row: { ...keys, driver_number, date: iso(c.end), gap_to_leader: gap, interval } });
    });
  }

  const controlRows = raceControlFeed(keys, crossings, ends, raceStart, totalLaps);
  const originalStart = Date.parse(`${input.race.sessions.race.date}T${input.race.sessions.race.time ?? '13:00:00'}Z`);
  const weatherRows: Timed[] = (input.weather ?? []).map((w) => {
    const at = Date.parse(w.sampledAt) - originalStart + raceStart;
    return {
      visibleAt: at,
      row: { ...keys, date: iso(at), air_temperature: w.airTemperature, track_temperature: w.trackTemperature, humidity: w.humidity, pressure: w.pressure, rainfall: w.rainfall, wind_direction: w.windDirection, wind_speed: w.windSpeed },
    };
  });
  const session = {
    ...keys, session_name: 'Race', session_type: 'Race', date_start: iso(raceStart), date_end: iso(lastEnd), year: input.race.season, location: input.race.name.replace(/ Grand Prix$/, ''),
  };
  return { sessionKey, session, lastEnd, endpoints: { laps: lapRows, stints: stintRows, pit: pitRows, position: positionRows, intervals: intervalRows, race_control: controlRows, weather: weatherRows } };
}

/**
 * Race control from the leader's laps' FastF1 track status: each digit of a lap taken to
 * begin at an even share of the lap (the first at the line), each change of status the
 * message race control sends for it.
 */
function raceControlFeed(
  keys: { session_key: number; meeting_key: number },
  crossings: Map<number, { driverId: number; end: number }[]>,
  ends: Map<number, Map<number, { start: number; end: number; lap: Lap }>>,
  raceStart: number,
  totalLaps: number,
): Timed[] {
  const rows: Timed[] = [];
  const message = (at: number, lap: number | null, category: string, flag: string | null, scope: string | null, sector: number | null, text: string) =>
    rows.push({ visibleAt: at, row: { ...keys, date: iso(at), driver_number: null, lap_number: lap, category, flag, scope, sector, message: text } });
  message(raceStart - 30 * 60_000, null, 'Flag', 'GREEN', 'Track', null, 'GREEN LIGHT - PIT EXIT OPEN');
  let current = '1';
  for (let lap = 1; lap <= totalLaps; lap++) {
    const leader = crossings.get(lap)?.[0];
    const run = leader ? ends.get(leader.driverId)?.get(lap) : undefined;
    if (!run) continue;
    const digits = (run.lap.trackStatus ?? '1').replace(/[^124567]/g, '') || '1';
    [...digits].forEach((digit, i) => {
      if (digit === current) return;
      const at = Math.round(run.start + ((run.end - run.start) * i) / digits.length);
      const from = current;
      current = digit;
      if (digit === '4') message(at, lap, 'SafetyCar', null, 'Track', null, 'SAFETY CAR DEPLOYED');
      else if (digit === '6') message(at, lap, 'SafetyCar', null, 'Track', null, 'VIRTUAL SAFETY CAR DEPLOYED');
      else if (digit === '7') message(at, lap, 'SafetyCar', null, 'Track', null, 'VIRTUAL SAFETY CAR ENDING');
      else if (digit === '5') message(at, lap, 'Flag', 'RED', 'Track', null, 'RED FLAG');
      else if (digit === '2' && from === '1') message(at, lap, 'Flag', 'YELLOW', 'Sector', 1, 'YELLOW IN TRACK SECTOR 1');
      else if (digit === '1' && from === '2') message(at, lap, 'Flag', 'CLEAR', 'Sector', 1, 'CLEAR IN TRACK SECTOR 1');
      else {
        // Out of a neutralisation: the SC announces its last lap, then the track is clear (and a yellow may still be out).
        if (from === '4') message(Math.max(raceStart, at - 30_000), lap, 'SafetyCar', null, 'Track', null, 'SAFETY CAR IN THIS LAP');
        message(at, lap, 'Flag', 'CLEAR', 'Track', null, 'TRACK CLEAR');
        if (digit === '2') message(at + 1_000, lap, 'Flag', 'YELLOW', 'Sector', 1, 'YELLOW IN TRACK SECTOR 1');
      }
    });
  }
  const finish = crossings.get(totalLaps)?.[0];
  if (finish) message(finish.end, totalLaps, 'Flag', 'CHEQUERED', 'Track', null, 'CHEQUERED FLAG');
  return rows.sort((a, b) => a.visibleAt - b.visibleAt);
}

export async function startLiveOpenF1(options: LiveOpenF1Options): Promise<LiveOpenF1> {
  const raceStart = new Date(options.raceStart).getTime();
  const feed = liveRaceFeed(options.race, raceStart);
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    };
    const [pathname, rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const endpoint = /^\/v1\/([a-z_]+)$/.exec(pathname)?.[1];
    if (req.method !== 'GET' || !endpoint || !(endpoint === 'sessions' || endpoint in feed.endpoints)) {
      send(404, { detail: 'Not Found' });
      return;
    }
    const now = options.clock.now().getTime();
    const live = now >= raceStart && now <= feed.lastEnd + LIVE_AFTER_END_MS;
    if (live && options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      send(401, { detail: 'Live F1 session in progress. Authentication is required to access live data: see https://openf1.org' });
      return;
    }
    const filters = parseOpenF1Query(rawQuery);
    const all: Row[] =
      endpoint === 'sessions'
        ? [feed.session]
        : latestVersions(endpoint, feed.endpoints[endpoint as keyof typeof feed.endpoints].filter((t) => t.visibleAt <= now).map((t) => t.row));
    const rows = all.filter((r) => matchesQuery(r, filters));
    if (rows.length === 0) send(404, { detail: 'No results found.' });
    else send(200, rows);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    sessionKey: feed.sessionKey,
    endsAt: feed.lastEnd,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A stint is served once, as its latest visible version (OpenF1 updates lap_end in place). */
function latestVersions(endpoint: string, rows: Row[]): Row[] {
  if (endpoint !== 'stints') return rows;
  const latest = new Map<string, Row>();
  for (const r of rows) latest.set(`${r.driver_number}/${r.stint_number}`, r);
  return [...latest.values()];
}
