/** The Ergast dump's layout: its 14 tables, each one's header, and the file that holds it. */

export const dumpTables = [
  'seasons', 'circuits', 'drivers', 'constructors', 'status', 'races', 'results', 'sprint_results', 'qualifying',
  'driver_standings', 'constructor_standings', 'constructor_results', 'pit_stops', 'lap_times',
] as const;
export type DumpTable = (typeof dumpTables)[number];

/** The header of each table in the Ergast dump (CSV and TSV alike). */
export const dumpColumns: Record<DumpTable, readonly string[]> = {
  seasons: ['year', 'url'],
  circuits: ['circuitId', 'circuitRef', 'name', 'location', 'country', 'lat', 'lng', 'alt', 'url'],
  drivers: ['driverId', 'driverRef', 'number', 'code', 'forename', 'surname', 'dob', 'nationality', 'url'],
  constructors: ['constructorId', 'constructorRef', 'name', 'nationality', 'url'],
  status: ['statusId', 'status'],
  races: [
    'raceId', 'year', 'round', 'circuitId', 'name', 'date', 'time', 'url', 'fp1_date', 'fp1_time', 'fp2_date', 'fp2_time',
    'fp3_date', 'fp3_time', 'quali_date', 'quali_time', 'sprint_date', 'sprint_time',
  ],
  results: [
    'resultId', 'raceId', 'driverId', 'constructorId', 'number', 'grid', 'position', 'positionText', 'positionOrder', 'points',
    'laps', 'time', 'milliseconds', 'fastestLap', 'rank', 'fastestLapTime', 'fastestLapSpeed', 'statusId',
  ],
  sprint_results: [
    'resultId', 'raceId', 'driverId', 'constructorId', 'number', 'grid', 'position', 'positionText', 'positionOrder', 'points',
    'laps', 'time', 'milliseconds', 'fastestLap', 'fastestLapTime', 'statusId',
  ],
  qualifying: ['qualifyId', 'raceId', 'driverId', 'constructorId', 'number', 'position', 'q1', 'q2', 'q3'],
  driver_standings: ['driverStandingsId', 'raceId', 'driverId', 'points', 'position', 'positionText', 'wins'],
  constructor_standings: ['constructorStandingsId', 'raceId', 'constructorId', 'points', 'position', 'positionText', 'wins'],
  constructor_results: ['constructorResultsId', 'raceId', 'constructorId', 'points', 'status'],
  pit_stops: ['raceId', 'driverId', 'stop', 'lap', 'time', 'duration', 'milliseconds'],
  lap_times: ['raceId', 'driverId', 'lap', 'position', 'time', 'milliseconds'],
};

/** The table a file name holds ('results.csv' → 'results'), or undefined for any other file. */
export function dumpTableOf(name: string): DumpTable | undefined {
  const base = name.replace(/\.(csv|tsv|txt)$/i, '');
  return base !== name && (dumpTables as readonly string[]).includes(base) ? (base as DumpTable) : undefined;
}
