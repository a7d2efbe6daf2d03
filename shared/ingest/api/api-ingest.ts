import { z } from 'zod';
import type { JolpicaClient } from '../../clients/jolpica.js';
import type { OpenF1Client, OpenF1InvalidRow } from '../../clients/openf1.js';
import { runIngestion, type IngestDeps, type RunOutcome } from '../ingest.js';
import type { LapRecord, RaceControlRecord, RecordBatch, RejectedRow, SessionWeatherRecord, TableName, WarningRow } from '../records.js';
import { readJolpica, type JolpicaPart, type JolpicaRequest } from './jolpica-ingest.js';
import { NotReadyError } from '../../errors.js';
import { openf1LapRecords, raceForSession } from './openf1-records.js';
import { sessionRaceControl } from './openf1-race-control.js';
import { meetingWeather } from './openf1-weather.js';

/**
 * Ingestion runs from the APIs: read → H1's loadRecords (validation, quarantine, per-race
 * transactions, natural-key upserts) → an ingestion run with its counts.
 */

export interface ApiIngestDeps extends IngestDeps {
  jolpica?: JolpicaClient;
  openf1?: OpenF1Client;
  /** Now, for "has this race been held" decisions. */
  now: () => Date;
}

export async function ingestJolpica(deps: ApiIngestDeps, request: JolpicaRequest): Promise<RunOutcome> {
  const jolpica = deps.jolpica;
  if (!jolpica) throw new Error('ingestJolpica needs a Jolpica client');
  const outcome = await runIngestion(deps, 'jolpica', { ...request }, () =>
    readJolpica(
      { jolpica, logger: deps.logger, today: deps.now().toISOString().slice(0, 10), ...(deps.progress ? { progress: deps.progress } : {}) },
      request,
    ),
  );
  if (request.require && request.round !== undefined) {
    const missing = (request.parts ?? []).filter((p) => requiredTable[p] && !(outcome.tables[requiredTable[p]!]?.read ?? 0));
    if (missing.length) {
      throw new NotReadyError(
        `${missing.join(', ')} of ${request.season} round ${request.round} not published yet (run ${outcome.runId} stored the rest): retry later`,
        UNPUBLISHED_RETRY_AFTER_SECONDS,
        { runId: outcome.runId, missing },
      );
    }
  }
  return outcome;
}

/** The table a required part must bring rows to (schedule and drivers are not per round). */
const requiredTable: Partial<Record<JolpicaPart, TableName>> = {
  results: 'results', qualifying: 'qualifying', sprint: 'sprint_results', pitstops: 'pit_stops', laps: 'laps', standings: 'driver_standings',
};
const UNPUBLISHED_RETRY_AFTER_SECONDS = 600;

export const openf1Request = z
  .object({
    /** Every Race session of this year… */
    year: z.number().int().min(2023).max(2100).optional(),
    /** …only the one of this round of that year (a scheduled post-race job)… */
    round: z.number().int().min(1).max(40).optional(),
    /** …or these session keys. */
    sessionKeys: z.array(z.number().int().positive()).min(1).optional(),
  })
  .strict()
  .refine((r) => (r.year === undefined) !== (r.sessionKeys === undefined), { message: 'give exactly one of year, sessionKeys' })
  .refine((r) => r.round === undefined || r.year !== undefined, { message: 'round goes with year' });
export type OpenF1Request = z.infer<typeof openf1Request>;

/**
 * Lap data (times, pit-out, tyres, pit-in laps), the weekend's weather and the race control
 * messages of OpenF1 Race sessions onto races that are already in the database (from the dump or Jolpica): sessions are matched to races
 * by date, cars to drivers by the race's entrants.
 */
export async function ingestOpenF1(deps: ApiIngestDeps, request: OpenF1Request): Promise<RunOutcome> {
  const openf1 = deps.openf1;
  if (!openf1) throw new Error('ingestOpenF1 needs an OpenF1 client');
  const outcome = await runIngestion(deps, 'openf1', { ...request }, async (): Promise<RecordBatch> => {
    // The full session list is one request (and cached); filtering here keeps a year and a key list on the same path.
    const all = await openf1.sessions();
    const now = deps.now().getTime();
    // Only sessions over for an hour: their data is final (and then cached for good).
    const settled = (s: { date_start: string; date_end?: string | null }) =>
      (s.date_end ? Date.parse(s.date_end) : Date.parse(s.date_start) + 4 * 3_600_000) + 3_600_000 < now;
    const sessions = all.filter(
      (s) =>
        s.session_name === 'Race' &&
        settled(s) &&
        (request.sessionKeys ? request.sessionKeys.includes(s.session_key) : s.year === request.year),
    );
    const races = (await deps.repo.races.list()).map((r) => ({ season: r.season, round: r.round, date: r.sessions.race.date }));
    const laps: LapRecord[] = [];
    const sessionWeather: SessionWeatherRecord[] = [];
    const raceControl: RaceControlRecord[] = [];
    const warnings: WarningRow[] = [];
    const rejected: RejectedRow[] = [];
    for (const key of request.sessionKeys ?? []) {
      if (!all.some((s) => s.session_key === key && s.session_name === 'Race')) {
        rejected.push({ table: 'laps', raw: { session_key: key }, reason: `openf1: session ${key} is not a Race session in /sessions` });
      }
    }
    const bar = deps.progress?.('openf1 race sessions', sessions.length);
    try {
      for (const session of sessions) {
        const race = raceForSession(session, races);
        if (request.round !== undefined && race?.round !== request.round) {
          bar?.tick(1);
          continue;
        }
        if (!race) {
          rejected.push({ table: 'laps', raw: session, reason: `openf1: no race in the database on ${session.date_start.slice(0, 10)} for session ${session.session_key}` });
          bar?.tick(1);
          continue;
        }
        const entrants = await deps.repo.reference.raceEntrants({ fromSeason: race.season, toSeason: race.season });
        const byNumber = new Map(
          entrants.filter((e) => e.round === race.round && e.number !== null).map((e) => [e.number as number, e.driverRef]),
        );
        // Rows that fail their schema are quarantined; the session's other rows still load.
        const invalid: OpenF1InvalidRow[] = [];
        const [sessionLaps, stints, pits] = [
          await openf1.laps(session.session_key, invalid),
          await openf1.stints(session.session_key, invalid),
          await openf1.pit(session.session_key, invalid),
        ];
        rejected.push(...invalid.map((i) => ({ table: 'laps' as const, raw: i.raw, reason: `openf1 ${i.endpoint} session ${session.session_key}: ${i.reason}` })));
        const mapped = openf1LapRecords(race, byNumber, { laps: sessionLaps, stints, pits });
        laps.push(...mapped.laps);
        rejected.push(...mapped.rejected);
        // The weekend's weather (practice, qualifying, sprint and race sessions) in one request per meeting.
        const weather = await meetingWeather(openf1, all, session, race);
        sessionWeather.push(...weather.records);
        rejected.push(...weather.rejected);
        warnings.push(...weather.warnings);
        // Flags, safety car, VSC and penalties with their instants (the live pit model's track status).
        const control = await sessionRaceControl(openf1, session, race, byNumber);
        raceControl.push(...control.records);
        rejected.push(...control.rejected);
        warnings.push(...control.warnings);
        deps.logger.info('openf1 session read', { session: session.session_key, ...race, laps: mapped.laps.length, weather: weather.records.length, raceControl: control.records.length, rejected: mapped.rejected.length });
        bar?.tick(1, `${race.season} R${race.round}`);
      }
    } finally {
      bar?.stop();
    }
    return { laps, sessionWeather, raceControl, rejected, ...(warnings.length ? { warnings } : {}) };
  });
  // One round (a scheduled post-race job): no lap yet means its session is not over or not served
  // yet (OpenF1's times can differ from the calendar's: 2024 Las Vegas is a day later), so 503 and a retry.
  if (request.round !== undefined && !(outcome.tables.laps?.read ?? 0)) {
    throw new NotReadyError(
      `OpenF1 has no lap data of ${request.year} round ${request.round} yet (its race session is not over, or not served yet; run ${outcome.runId}): retry later`,
      UNPUBLISHED_RETRY_AFTER_SECONDS,
      { runId: outcome.runId },
    );
  }
  return outcome;
}
