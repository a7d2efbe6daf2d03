import { z } from 'zod';

/**
 * zod schemas of the Ergast/Jolpica MRData envelope. Ergast sends every number as a
 * string; they are converted here, at the boundary, so a non-numeric value is a clear
 * validation error naming the field rather than a NaN further down.
 */

const intText = z.string().regex(/^-?\d+$/, 'must be an integer string').transform(Number);
const numText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a numeric string').transform(Number);

export const ergastLocation = z.object({
  lat: numText.optional(),
  long: numText.optional(),
  locality: z.string().optional(),
  country: z.string().optional(),
});

export const ergastCircuit = z.object({
  circuitId: z.string().min(1),
  url: z.string().optional(),
  circuitName: z.string().min(1),
  Location: ergastLocation,
});

export const ergastDriver = z.object({
  driverId: z.string().min(1),
  permanentNumber: intText.optional(),
  code: z.string().optional(),
  url: z.string().optional(),
  givenName: z.string(),
  familyName: z.string(),
  dateOfBirth: z.string().optional(),
  nationality: z.string().optional(),
});

export const ergastConstructor = z.object({
  constructorId: z.string().min(1),
  url: z.string().optional(),
  name: z.string().min(1),
  nationality: z.string().optional(),
});

const sessionTime = z.object({ date: z.string(), time: z.string().optional() });

const classified = {
  number: intText.optional(),
  position: intText.optional(),
  positionText: z.string().min(1),
  points: numText,
  Driver: ergastDriver,
  Constructor: ergastConstructor,
  grid: intText.optional(),
  laps: intText,
  status: z.string().min(1),
  Time: z.object({ millis: intText.optional(), time: z.string().optional() }).optional(),
  FastestLap: z
    .object({
      rank: intText.optional(),
      lap: intText.optional(),
      Time: z.object({ time: z.string() }).optional(),
      AverageSpeed: z.object({ units: z.string().optional(), speed: numText }).optional(),
    })
    .optional(),
};

export const ergastResult = z.object(classified);

export const ergastQualifying = z.object({
  number: intText.optional(),
  position: intText,
  Driver: ergastDriver,
  Constructor: ergastConstructor,
  Q1: z.string().optional(),
  Q2: z.string().optional(),
  Q3: z.string().optional(),
});

export const ergastPitStop = z.object({
  driverId: z.string().min(1),
  lap: intText,
  stop: intText,
  time: z.string().optional(),
  duration: z.string().optional(),
});

export const ergastTiming = z.object({ driverId: z.string().min(1), position: intText.optional(), time: z.string().optional() });

/** The row lists of a race table; a row that fails its schema is set aside, not fatal to the page. */
export type RowList = 'Results' | 'SprintResults' | 'QualifyingResults' | 'PitStops' | 'Laps';
/** The row lists of a standings table (one per driver, one per constructor). */
export type StandingsRowList = 'DriverStandings' | 'ConstructorStandings';

/** A row the client could not parse: mapped to a quarantined row with this reason. */
export interface InvalidRow {
  list: RowList | StandingsRowList;
  raw: unknown;
  reason: string;
}

const issuesOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');

/** Ergast omits `position` of a standing that has none (e.g. positionText "-"); points may be fractional. */
const standing = {
  position: intText.optional(),
  positionText: z.string().min(1),
  points: numText,
  wins: intText,
};
export const ergastDriverStanding = z.object({ ...standing, Driver: ergastDriver, Constructors: z.array(ergastConstructor).optional() });
export const ergastConstructorStanding = z.object({ ...standing, Constructor: ergastConstructor });

/** Rows parsed one by one (as in a race table): a bad one is set aside in `invalid` with its reason. */
function keepRows<S extends z.ZodType>(invalid: InvalidRow[], list: RowList | StandingsRowList, schema: S, items: unknown[] | undefined): z.output<S>[] | undefined {
  return items?.flatMap((item) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) return [parsed.data as z.output<S>];
    invalid.push({ list, raw: item, reason: issuesOf(parsed.error) });
    return [];
  });
}

/** The standings after one round (MRData.StandingsTable.StandingsLists[]). */
export const ergastStandingsList = z
  .object({
    season: intText,
    round: intText,
    DriverStandings: z.array(z.unknown()).optional(),
    ConstructorStandings: z.array(z.unknown()).optional(),
  })
  .transform((s) => {
    const invalid: InvalidRow[] = [];
    return {
      season: s.season,
      round: s.round,
      DriverStandings: keepRows(invalid, 'DriverStandings', ergastDriverStanding, s.DriverStandings),
      ConstructorStandings: keepRows(invalid, 'ConstructorStandings', ergastConstructorStanding, s.ConstructorStandings),
      invalid,
    };
  });

const raceTable = z.object({
  season: intText,
  round: intText,
  url: z.string().optional(),
  raceName: z.string().min(1),
  Circuit: ergastCircuit,
  date: z.string(),
  time: z.string().optional(),
  FirstPractice: sessionTime.optional(),
  SecondPractice: sessionTime.optional(),
  ThirdPractice: sessionTime.optional(),
  Qualifying: sessionTime.optional(),
  Sprint: sessionTime.optional(),
  SprintQualifying: sessionTime.optional(),
  SprintShootout: sessionTime.optional(),
  Results: z.array(z.unknown()).optional(),
  SprintResults: z.array(z.unknown()).optional(),
  QualifyingResults: z.array(z.unknown()).optional(),
  PitStops: z.array(z.unknown()).optional(),
  Laps: z.array(z.object({ number: intText, Timings: z.array(z.unknown()) })).optional(),
});

/**
 * A race with its rows parsed one by one: the race envelope must be valid (else the page
 * is malformed), while a bad row lands in `invalid` with its reason and the good rows of
 * the same page are kept.
 */
export const ergastRace = raceTable.transform((r) => {
  const invalid: InvalidRow[] = [];
  const keep = <S extends z.ZodType>(list: RowList, schema: S, items: unknown[] | undefined) => keepRows(invalid, list, schema, items);
  return {
    ...r,
    Results: keep('Results', ergastResult, r.Results),
    SprintResults: keep('SprintResults', ergastResult, r.SprintResults),
    QualifyingResults: keep('QualifyingResults', ergastQualifying, r.QualifyingResults),
    PitStops: keep('PitStops', ergastPitStop, r.PitStops),
    Laps: r.Laps?.map((l) => ({ number: l.number, Timings: keep('Laps', ergastTiming, l.Timings) ?? [] })),
    invalid,
  };
});

export const mrDataPage = z.object({
  MRData: z.object({
    url: z.string().optional(),
    limit: intText,
    offset: intText,
    total: intText,
    RaceTable: z.object({ Races: z.array(ergastRace) }).optional(),
    DriverTable: z.object({ Drivers: z.array(ergastDriver) }).optional(),
    ConstructorTable: z.object({ Constructors: z.array(ergastConstructor) }).optional(),
    CircuitTable: z.object({ Circuits: z.array(ergastCircuit) }).optional(),
    StandingsTable: z.object({ StandingsLists: z.array(ergastStandingsList) }).optional(),
  }),
});

export type ErgastRace = z.output<typeof ergastRace>;
export type ErgastDriver = z.output<typeof ergastDriver>;
export type ErgastConstructor = z.output<typeof ergastConstructor>;
export type ErgastCircuit = z.output<typeof ergastCircuit>;
export type ErgastResult = z.output<typeof ergastResult>;
export type ErgastStandingsList = z.output<typeof ergastStandingsList>;
export type ErgastDriverStanding = z.output<typeof ergastDriverStanding>;
export type ErgastConstructorStanding = z.output<typeof ergastConstructorStanding>;
export type MrDataPage = z.output<typeof mrDataPage>['MRData'];
