import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { TableCounts } from '../repository/ingestion-runs-store.js';

/**
 * Source-agnostic normalised records: what every reader (Ergast dump, lap files, Jolpica,
 * OpenF1) produces and the one loader (load.ts `loadRecords`) writes. Everything is keyed
 * by NATURAL keys, never by a source's numeric ids: races by (season, round), drivers by
 * driverRef, constructors by constructorRef, circuits by circuitRef, finishing status by
 * its text. Optional (`?`) fields mean "this source does not have it"; `null` means "the
 * source says it is unknown/empty". The schemas are the zod boundary: the loader validates
 * every record with them and quarantines the ones that fail, with the reason.
 */

/**
 * Integers fit the column (PostgreSQL integer): zod's int alone accepts 99999999999, which
 * then overflows in the INSERT and fails the whole transaction instead of one row.
 */
const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
const int = z.number().int().min(INT4_MIN, 'out of range for an integer column').max(INT4_MAX, 'out of range for an integer column');
/** bigint columns (race times in ms). */
const bigInt = z.number().int().max(Number.MAX_SAFE_INTEGER, 'out of range');
const nullableInt = int.nullable().optional();
/**
 * Every text field is trimmed here, once, for every source: the dump has values like
 * nationality "Argentinian " that would otherwise be stored and served as they are.
 * A text that is blank once trimmed means "empty": null, as the readers make empty strings.
 */
// PostgreSQL text cannot hold U+0000: such a row is quarantined here, not failed in the INSERT.
const text = () =>
  z
    .string()
    .trim()
    .refine((v) => !v.includes('\u0000'), 'contains a NUL byte, which PostgreSQL text cannot store');
const nullableText = text()
  .transform((v) => (v === '' ? null : v))
  .nullable()
  .optional();
const ref = text().min(1).regex(/^[A-Za-z0-9_-]+$/, 'must be a slug (letters, digits, _ and -)');
const date = text().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const time = text().regex(/^\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/, 'must be HH:MM:SS');
const season = int.min(1950).max(2100);
const round = int.min(1).max(40);
/** Every per-race row names its race by natural key. */
const raceKey = { season, round };

export const seasonRecord = z.object({ year: season, url: nullableText });

export const circuitRecord = z.object({
  circuitRef: ref,
  name: text().min(1),
  location: nullableText,
  country: nullableText,
  lat: z.number().min(-90).max(90).nullable().optional(),
  lng: z.number().min(-180).max(180).nullable().optional(),
  alt: nullableInt,
  url: nullableText,
  /** The numeric id in an Ergast dump, when the record came from one. */
  ergastId: nullableInt,
});

export const driverRecord = z.object({
  driverRef: ref,
  number: int.min(0).max(99).nullable().optional(),
  code: text().regex(/^[A-Z]{3}$/).nullable().optional(),
  forename: text().min(1),
  surname: text().min(1),
  dob: date.nullable().optional(),
  nationality: nullableText,
  url: nullableText,
  ergastId: nullableInt,
});

export const constructorRecord = z.object({
  constructorRef: ref,
  name: text().min(1),
  nationality: nullableText,
  url: nullableText,
  ergastId: nullableInt,
});

export const statusRecord = z.object({ status: text().min(1), ergastId: nullableInt });

const sessionDate = date.nullable().optional();
const sessionTime = time.nullable().optional();

/** A race weekend with the UTC date/time of each session (times null where unknown). */
export const raceRecord = z
  .object({
    ...raceKey,
    circuitRef: ref,
    name: text().min(1),
    date,
    time: sessionTime,
    fp1Date: sessionDate,
    fp1Time: sessionTime,
    fp2Date: sessionDate,
    fp2Time: sessionTime,
    fp3Date: sessionDate,
    fp3Time: sessionTime,
    qualiDate: sessionDate,
    qualiTime: sessionTime,
    sprintDate: sessionDate,
    sprintTime: sessionTime,
    url: nullableText,
    ergastId: nullableInt,
  })
  .refine((r) => !r.qualiDate || r.qualiDate <= r.date, { message: 'qualifying after the race', path: ['qualiDate'] })
  .refine((r) => !r.sprintDate || r.sprintDate <= r.date, { message: 'sprint after the race', path: ['sprintDate'] });

const classification = {
  ...raceKey,
  driverRef: ref,
  constructorRef: ref,
  number: nullableInt,
  grid: int.min(0),
  position: int.min(1).nullable(),
  positionText: text().min(1),
  positionOrder: int.min(1),
  points: z.number().min(0),
  laps: int.min(0),
  timeText: nullableText,
  milliseconds: bigInt.positive().nullable().optional(),
  fastestLap: int.min(0).nullable().optional(),
  fastestLapTime: nullableText,
  /** Finishing status as text ('Finished', '+1 Lap', 'Engine', ...). */
  status: text().min(1),
};

export const resultRecord = z.object({
  ...classification,
  fastestLapRank: int.min(0).nullable().optional(),
  fastestLapSpeed: z.number().positive().nullable().optional(),
});

export const sprintResultRecord = z.object(classification);

/** Lap-time strings like '1:26.572'; empty strings are normalised to null by the readers. */
const lapTimeText = text()
  .regex(/^(\d+:)?\d{1,2}\.\d{1,3}$/, 'must be a lap time like 1:26.572')
  .nullable()
  .optional();

export const qualifyingRecord = z.object({
  ...raceKey,
  driverRef: ref,
  constructorRef: ref,
  number: nullableInt,
  position: int.min(1),
  q1: lapTimeText,
  q2: lapTimeText,
  q3: lapTimeText,
});

const standing = {
  ...raceKey,
  points: z.number().min(0),
  position: int.min(1).nullable().optional(),
  positionText: nullableText,
  wins: int.min(0),
};
export const driverStandingRecord = z.object({ ...standing, driverRef: ref });
export const constructorStandingRecord = z.object({ ...standing, constructorRef: ref });

export const constructorResultRecord = z.object({
  ...raceKey,
  constructorRef: ref,
  points: z.number().min(0).nullable().optional(),
  status: nullableText,
});

export const pitStopRecord = z.object({
  ...raceKey,
  driverRef: ref,
  stop: int.min(1).max(10),
  lap: int.min(1),
  localTime: nullableText,
  duration: nullableText,
  milliseconds: int.positive().nullable().optional(),
});

export const compounds = ['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET', 'UNKNOWN'] as const;

/**
 * One car on one race lap, from one source. Several sources may describe the same
 * (race, driver, lap); the loader merges them column by column into one `laps` row.
 */
export const lapRecord = z.object({
  ...raceKey,
  driverRef: ref,
  lap: int.min(1),
  position: int.min(1).nullable().optional(),
  timeMs: int.positive().nullable().optional(),
  compound: z.enum(compounds).nullable().optional(),
  stint: int.min(1).nullable().optional(),
  tyreLife: int.min(0).nullable().optional(),
  freshTyre: z.boolean().nullable().optional(),
  /** FastF1 track status digits seen during the lap (1 green, 2 yellow, 4 SC, 5 red, 6 VSC, 7 VSC ending). */
  trackStatus: text().regex(/^[0-7]*$/).nullable().optional(),
  pitIn: z.boolean().nullable().optional(),
  pitOut: z.boolean().nullable().optional(),
  /** Short source name recorded in laps.sources ('fastf1', 'ergast', 'openf1', 'jolpica'). */
  source: text().min(1),
});

/** One OpenF1 weather sample of a session of the race weekend (natural key: race, session, sampledAt). */
export const sessionWeatherRecord = z.object({
  ...raceKey,
  session: z.enum(['fp1', 'fp2', 'fp3', 'sprint_qualifying', 'sprint', 'qualifying', 'race']),
  sessionKey: int.min(1),
  /** The sample's instant, normalised to ISO UTC so the natural key is one spelling. */
  sampledAt: text()
    .refine((v) => !Number.isNaN(Date.parse(v)) && /[zZ]|[+-]\d{2}:?\d{2}$/.test(v), 'must be an ISO instant with its offset')
    .transform((v) => new Date(v).toISOString()),
  airTemperature: z.number().min(-50).max(70).nullable(),
  trackTemperature: z.number().min(-50).max(90).nullable(),
  humidity: z.number().min(0).max(100).nullable(),
  pressure: z.number().min(500).max(1100).nullable(),
  rainfall: z.number().min(0).nullable(),
  windDirection: z.number().min(0).max(360).nullable(),
  windSpeed: z.number().min(0).max(100).nullable(),
});

/**
 * One OpenF1 race control message of a session (natural key: race, session, at, message; OpenF1
 * has no id). driverRef null: a track-wide message, or a car number no entrant of the race had.
 */
export const raceControlRecord = z.object({
  ...raceKey,
  session: z.enum(['fp1', 'fp2', 'fp3', 'sprint_qualifying', 'sprint', 'qualifying', 'race']),
  sessionKey: int.min(1),
  /** The message's instant, normalised to ISO UTC so the natural key is one spelling. */
  at: text()
    .refine((v) => !Number.isNaN(Date.parse(v)) && /[zZ]|[+-]\d{2}:?\d{2}$/.test(v), 'must be an ISO instant with its offset')
    .transform((v) => new Date(v).toISOString()),
  lap: int.min(1).nullable(),
  driverRef: ref.nullable(),
  category: text().min(1),
  flag: nullableText,
  scope: nullableText,
  sector: int.min(1).nullable(),
  message: text().min(1),
});

export type SeasonRecord = z.input<typeof seasonRecord>;
export type CircuitRecord = z.input<typeof circuitRecord>;
export type DriverRecord = z.input<typeof driverRecord>;
export type ConstructorRecord = z.input<typeof constructorRecord>;
export type StatusRecord = z.input<typeof statusRecord>;
export type RaceRecord = z.input<typeof raceRecord>;
export type ResultRecord = z.input<typeof resultRecord>;
export type SprintResultRecord = z.input<typeof sprintResultRecord>;
export type QualifyingRecord = z.input<typeof qualifyingRecord>;
export type DriverStandingRecord = z.input<typeof driverStandingRecord>;
export type ConstructorStandingRecord = z.input<typeof constructorStandingRecord>;
export type ConstructorResultRecord = z.input<typeof constructorResultRecord>;
export type PitStopRecord = z.input<typeof pitStopRecord>;
export type LapRecord = z.input<typeof lapRecord>;
export type SessionWeatherRecord = z.input<typeof sessionWeatherRecord>;
export type RaceControlRecord = z.input<typeof raceControlRecord>;

/** A source row a reader could not even map to a record (e.g. unknown raceId); the loader quarantines it. */
export interface RejectedRow {
  table: TableName;
  raw: unknown;
  reason: string;
}

/** A source row a reader fixed on purpose (a known quirk); recorded with the run, beside the fixed record. */
export interface CorrectedRow {
  table: TableName;
  raw: unknown;
  corrected: unknown;
  reason: string;
}

/** A source row loaded as it is but suspicious (e.g. 2024 Qatar pit stops); logged and recorded with the run. */
export interface WarningRow {
  table: TableName;
  raw: unknown;
  reason: string;
}

/** Everything one reader produced. Every field is optional: a Jolpica round may carry only results. */
export interface RecordBatch {
  seasons?: SeasonRecord[];
  circuits?: CircuitRecord[];
  drivers?: DriverRecord[];
  constructors?: ConstructorRecord[];
  statuses?: StatusRecord[];
  races?: RaceRecord[];
  results?: ResultRecord[];
  sprintResults?: SprintResultRecord[];
  qualifying?: QualifyingRecord[];
  driverStandings?: DriverStandingRecord[];
  constructorStandings?: ConstructorStandingRecord[];
  constructorResults?: ConstructorResultRecord[];
  pitStops?: PitStopRecord[];
  laps?: LapRecord[];
  sessionWeather?: SessionWeatherRecord[];
  raceControl?: RaceControlRecord[];
  rejected?: RejectedRow[];
  corrections?: CorrectedRow[];
  warnings?: WarningRow[];
}

/** The database tables the loader writes, as named in summaries and quarantined_rows.table_name. */
export const tableNames = [
  'seasons',
  'circuits',
  'drivers',
  'constructors',
  'status',
  'races',
  'results',
  'sprint_results',
  'qualifying',
  'driver_standings',
  'constructor_standings',
  'constructor_results',
  'pit_stops',
  'laps',
  'session_weather',
  'race_control',
] as const;
export type TableName = (typeof tableNames)[number];

/** Per-table counts of one load: read = inserted + updated + unchanged + quarantined. */
export type LoadSummary = Partial<Record<TableName, TableCounts>>;

export interface LoadOptions {
  /** The ingestion run the quarantined and corrected rows are recorded under. */
  run: { id: number };
  /** Source name stored with quarantined rows ('dump', 'laps', 'jolpica', 'openf1'). */
  source: string;
  logger?: Logger;
  /**
   * Races written per transaction (default: grouped by rows, see load.ts). A race is never
   * split across transactions; 1 gives strictly one transaction per race.
   */
  racesPerTransaction?: number;
  /** Rows per transaction before a new one is started (whole races only; default 20,000). */
  rowsPerTransaction?: number;
  /**
   * Refuse the whole batch, before writing anything, when a table has a majority of its rows
   * quarantined (a file, e.g. a dump table, that is wrong as a whole rather than in a few rows).
   */
  refuseBadTables?: boolean;
  /** When given, milliseconds spent writing each table are added to it (benchmarks). */
  timings?: Partial<Record<TableName, number>>;
  /** Called after each transaction commits, with the races it loaded (progress reporting). */
  onRacesCommitted?: (races: { season: number; round: number }[]) => void;
}

/**
 * The one loading path: validate with zod, quarantine bad rows with reasons, upsert on
 * natural keys (reference tables first, then each race's rows inside one transaction) and
 * return per-table counts. Implemented in load.ts.
 */
export type LoadRecords = (
  repo: import('../repository/index.js').Repository,
  batch: RecordBatch,
  options: LoadOptions,
) => Promise<LoadSummary>;
