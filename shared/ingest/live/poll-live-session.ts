import type { OpenF1Client, OpenF1InvalidRow } from '../../clients/openf1.js';
import type { OpenF1Lap, OpenF1RaceControl, OpenF1Weather } from '../../clients/openf1-schemas.js';
import { lapTrackStatus, statusAt, trackStatusEvents, type TrackStatusEvent } from '../../domain/track-status.js';
import type { TrackStatus } from '../../domain/track-status.js';
import { NotFoundError, NotReadyError } from '../../errors.js';
import type { TableCounts } from '../../repository/ingestion-runs-store.js';
import { openf1LapRecords, raceForSession, type RaceRef } from '../api/openf1-records.js';
import { openf1RaceControlRecords } from '../api/openf1-race-control.js';
import { openf1WeatherRecords } from '../api/openf1-weather.js';
import { runIngestion, type IngestDeps } from '../ingest.js';
import type { LapRecord, LoadSummary, RecordBatch, RejectedRow, WarningRow } from '../records.js';
import { raceCars } from './car-numbers.js';
import { liveTimingRows } from './live-timing-records.js';

/**
 * One poll of a race session while it runs: OpenF1's laps, stints, pit, position, intervals,
 * race control and weather of the session, stored idempotently (a second poll of the same data
 * changes nothing): laps, race control and weather through the one loader (laps.track_status
 * derived from race control, as FastF1 has it), position and gaps in live_timing. Position and
 * intervals (the bulk: a sample per car every few seconds) are read from the cursor on; the
 * rest is small and read whole, since a lap or a stint already read is updated as it ends.
 * Requests go one after the other through the OpenF1 client's pacer (its rate limit).
 *
 * A race that already has laps from a finished race's sources (FastF1, Ergast, Jolpica), or
 * race control / race weather of another session key, is a replay of a stored race: those
 * stored rows are history the models train on and are not overwritten (a warning says so);
 * the poll's laps and track status are still returned, and live_timing is written.
 */

export interface LivePollDeps extends IngestDeps {
  openf1: OpenF1Client;
  /** The session clock's now: a replay's scaled clock, else the wall clock. */
  now: () => Date;
}

/** Where the next poll reads position and intervals from (ISO instants; absent: from the start). */
export interface LiveCursor {
  sessionKey: number;
  positionSince?: string;
  intervalsSince?: string;
}

export interface LivePollResult {
  raceId: number;
  sessionKey: number;
  /** The latest instant of the data read (a lap's end, a sample, a message), ISO; the session start before any. */
  at: string;
  /** Laps the leader has completed. */
  leaderLap: number;
  /** The lights out: the earliest start of a lap 1, ISO; null before any lap 1 is served. */
  startedAt: string | null;
  /**
   * The chequered flag (or a message that the session is over) was shown FINISH_GRACE_MS ago or
   * more: the field behind the winner has crossed the line too, so this poll read every final lap.
   */
  ended: boolean;
  /** When the chequered flag was shown (ISO), once it was. */
  chequeredAt: string | null;
  /** The loader's per-table counts, and live_timing's. */
  counts: LoadSummary & { live_timing?: TableCounts };
  cursor: LiveCursor;
  warnings: string[];
  runId: number;
  /** The track status in effect at `at`, and its changes so far. */
  trackStatus: TrackStatus;
  trackEvents: TrackStatusEvent[];
  /** The laps read, as lap records with their derived track status (what a tick may use without reading the table). */
  laps: LapRecord[];
}

/**
 * Samples at the cursor's edge can arrive after a poll read past them (OpenF1 publishes each
 * car's samples as they come): the next read starts this much earlier, and the upsert leaves
 * what it already had unchanged.
 */
export const CURSOR_OVERLAP_MS = 5_000;
const NOT_STARTED_RETRY_SECONDS = 60;
/** Every car still running crosses the line within a lap of the winner: three minutes covers the slowest lap. */
export const FINISH_GRACE_MS = 3 * 60_000;

const lapEnd = (l: OpenF1Lap): number | undefined =>
  l.date_start && l.lap_duration ? Date.parse(l.date_start) + Math.round(l.lap_duration * 1000) : undefined;

export async function pollLiveSession(deps: LivePollDeps, ref: RaceRef, cursor?: LiveCursor): Promise<LivePollResult> {
  const { openf1, repo } = deps;
  const race = await repo.races.bySeasonRound(ref.season, ref.round);
  if (!race) throw new NotFoundError('race', `${ref.season}/${ref.round}`, 'ingest the season first (pitwall ingest)');
  const now = deps.now().getTime();
  const sessions = await openf1.sessions({ year: ref.season }, undefined, { live: true });
  const session = sessions.find((s) => raceForSession(s, [{ ...ref, date: race.sessions.race.date }]));
  if (!session) throw new NotReadyError(`OpenF1 lists no Race session of ${ref.season} round ${ref.round} yet: retry later`, NOT_STARTED_RETRY_SECONDS);
  if (Date.parse(session.date_start) > now) {
    const wait = Math.ceil((Date.parse(session.date_start) - now) / 1000);
    throw new NotReadyError(`the race session ${session.session_key} of ${ref.season} round ${ref.round} starts at ${session.date_start}, in ${wait} s`, Math.min(wait, 3600), { sessionKey: session.session_key });
  }
  const key = session.session_key;
  const from = cursor?.sessionKey === key ? cursor : { sessionKey: key };
  const since = (at: string | undefined) => (at ? new Date(Date.parse(at) - CURSOR_OVERLAP_MS).toISOString() : undefined);

  const { cars, basis } = await raceCars(repo, race);
  const warnings: string[] = [];
  if (basis === 'none') warnings.push(`no results nor qualifying with car numbers for ${ref.season} R${ref.round}: no car can be matched, every row is quarantined`);
  const refByNumber = new Map(cars.map((c) => [c.number, c.driverRef]));
  const idByNumber = new Map(cars.map((c) => [c.number, c.driverId]));

  // One request at a time: the pacer spaces them within OpenF1's limit.
  const invalid: OpenF1InvalidRow[] = [];
  const read = { live: true };
  const laps = await openf1.laps(key, invalid, read);
  const stints = await openf1.stints(key, invalid, read);
  const pits = await openf1.pit(key, invalid, read);
  const timingInvalid: OpenF1InvalidRow[] = [];
  const positions = await openf1.position(key, since(from.positionSince), timingInvalid);
  const intervals = await openf1.intervals(key, since(from.intervalsSince), timingInvalid);
  const control = await optional('race_control', () => openf1.raceControl(key, invalid, read), warnings);
  const weather = await optional('weather', () => openf1.weather({ session_key: key }, invalid, read), warnings);

  const rejected: RejectedRow[] = invalid.map((i) => ({
    table: i.endpoint === 'race_control' ? 'race_control' : i.endpoint === 'weather' ? 'session_weather' : 'laps',
    raw: i.raw,
    reason: `openf1 ${i.endpoint} session ${key}: ${i.reason}`,
  }));
  const mapped = openf1LapRecords(ref, refByNumber, { laps, stints, pits });
  rejected.push(...mapped.rejected);

  // Each lap that has ended gets the FastF1 digits of the track status it ran under.
  const events = trackStatusEvents(control.map((m) => ({ at: m.date, category: m.category, flag: m.flag, scope: m.scope, sector: m.sector, message: m.message })));
  const byCarLap = new Map(mapped.laps.map((l) => [`${l.driverRef}/${l.lap}`, l]));
  for (const l of laps) {
    const end = lapEnd(l);
    const record = byCarLap.get(`${refByNumber.get(l.driver_number)}/${l.lap_number}`);
    if (end !== undefined && record) record.trackStatus = lapTrackStatus(events, l.date_start!, new Date(end).toISOString());
  }

  const controlRecords = openf1RaceControlRecords(ref, refByNumber, control);
  const weatherRecords = openf1WeatherRecords(ref, [session], weather);
  rejected.push(...weatherRecords.rejected);
  const batchWarnings: WarningRow[] = controlRecords.warnings;
  const kept = await storedHistory(repo, race.id, key);
  for (const what of kept) warnings.push(`${ref.season} R${ref.round} already has ${what}: kept as stored, this poll's not written (a replay of a stored race)`);
  const batch: RecordBatch = {
    laps: kept.some((k) => k.startsWith('laps')) ? [] : mapped.laps,
    raceControl: kept.some((k) => k.startsWith('race control')) ? [] : controlRecords.records,
    sessionWeather: kept.some((k) => k.startsWith('race weather')) ? [] : weatherRecords.records,
    rejected,
    ...(batchWarnings.length ? { warnings: batchWarnings } : {}),
  };
  const outcome = await runIngestion(deps, 'openf1', { live: true, season: ref.season, round: ref.round, sessionKey: key }, async () => batch);
  if (outcome.status === 'failed') throw new Error(`live poll of ${ref.season} R${ref.round} failed to load: ${outcome.error}`);

  // Position and gaps: their own store, their refused rows quarantined with the same run.
  const timing = liveTimingRows(race.id, idByNumber, { positions, intervals });
  const refused = [
    ...timingInvalid.map((i) => ({ raw: i.raw, reason: `openf1 ${i.endpoint} session ${key}: ${i.reason}` })),
    ...timing.refused,
  ];
  const written = await repo.liveTiming.upsert(timing.rows);
  if (refused.length) {
    await repo.ingestionRuns.quarantine(refused.map((r) => ({ runId: outcome.runId, source: 'openf1', tableName: 'live_timing', raw: r.raw, reason: r.reason })));
  }
  const liveTiming: TableCounts = { read: positions.length + intervals.length + timingInvalid.length, ...written, quarantined: refused.length };

  const latest = (dates: (string | number | undefined | null)[]) =>
    dates.reduce<number>((max, d) => {
      const t = typeof d === 'number' ? d : d ? Date.parse(d) : Number.NaN;
      return Number.isFinite(t) && t <= now && t > max ? t : max;
    }, Date.parse(session.date_start));
  const at = latest([...laps.map(lapEnd), ...positions.map((p) => p.date), ...intervals.map((i) => i.date), ...control.map((m) => m.date)]);
  const maxDate = (rows: { date: string }[], previous?: string) =>
    rows.reduce<string | undefined>((max, r) => (!max || Date.parse(r.date) > Date.parse(max) ? new Date(r.date).toISOString() : max), previous);
  const chequered = chequeredAt(control, now);
  const nextCursor: LiveCursor = { sessionKey: key };
  const positionSince = maxDate(positions, from.positionSince);
  const intervalsSince = maxDate(intervals, from.intervalsSince);
  if (positionSince) nextCursor.positionSince = positionSince;
  if (intervalsSince) nextCursor.intervalsSince = intervalsSince;

  return {
    raceId: race.id,
    sessionKey: key,
    at: new Date(at).toISOString(),
    startedAt: startOf(laps),
    leaderLap: laps.reduce((max, l) => (lapEnd(l) !== undefined && l.lap_number > max ? l.lap_number : max), 0),
    ended: chequered !== undefined && chequered + FINISH_GRACE_MS <= now,
    chequeredAt: chequered === undefined ? null : new Date(chequered).toISOString(),
    counts: { ...outcome.tables, live_timing: liveTiming },
    cursor: nextCursor,
    warnings: [...warnings, ...batchWarnings.map((w) => w.reason)],
    runId: outcome.runId,
    trackStatus: statusAt(events, new Date(at).toISOString()),
    trackEvents: events,
    laps: mapped.laps,
  };
}

/** What of the race is stored from elsewhere than this live session (a finished race's sources, another session key). */
async function storedHistory(repo: LivePollDeps['repo'], raceId: number, sessionKey: number): Promise<string[]> {
  const kept: string[] = [];
  const lapSources = new Set((await repo.reference.laps(raceId)).flatMap((l) => l.sources).filter((s) => s !== 'openf1'));
  if (lapSources.size) kept.push(`laps from ${[...lapSources].sort().join(', ')}`);
  const otherControl = (await repo.reference.raceControl(raceId)).find((m) => m.session === 'race' && m.sessionKey !== sessionKey);
  if (otherControl) kept.push(`race control of session ${otherControl.sessionKey}`);
  const otherWeather = (await repo.reference.sessionWeather(raceId)).find((w) => w.session === 'race' && w.sessionKey !== sessionKey);
  if (otherWeather) kept.push(`race weather of session ${otherWeather.sessionKey}`);
  return kept;
}

function startOf(laps: readonly OpenF1Lap[]): string | null {
  const starts = laps.filter((l) => l.lap_number === 1 && l.date_start).map((l) => Date.parse(l.date_start!));
  return starts.length ? new Date(Math.min(...starts)).toISOString() : null;
}

/** Race control or weather not read is a warning of the poll, not a failed poll: the next one reads them again. */
async function optional<T extends OpenF1RaceControl | OpenF1Weather>(what: string, fetch: () => Promise<T[]>, warnings: string[]): Promise<T[]> {
  try {
    return await fetch();
  } catch (err) {
    if (err instanceof NotReadyError) throw err; // credentials: every endpoint says the same
    warnings.push(`openf1 ${what} not read: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

/** When the chequered flag (or a message that the session is over) was first shown, if it was by now. */
function chequeredAt(control: readonly OpenF1RaceControl[], now: number): number | undefined {
  const shown = control
    .filter((m) => Date.parse(m.date) <= now && (m.flag?.toUpperCase() === 'CHEQUERED' || /SESSION (FINISHED|ENDED|COMPLETE)/i.test(m.message)))
    .map((m) => Date.parse(m.date));
  return shown.length ? Math.min(...shown) : undefined;
}
