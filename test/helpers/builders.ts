import type { Race } from '../../shared/domain/reference.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import type { NewPrediction, PredictionEntry } from '../../shared/domain/prediction.js';
import type { ModelVersion } from '../../shared/repository/model-versions-store.js';
import type { Repository } from '../../shared/repository/index.js';

/**
 * Small, hand-made reference data, written through the repository's own upserts so the same
 * season lands in memory, PGlite or PostgreSQL. Each test builds what it needs.
 */

/** Grand Prix names and their circuits, picked so that name matching has real cases. */
export const GRANDS_PRIX = [
  { name: 'Bahrain Grand Prix', circuitRef: 'bahrain', circuit: 'Bahrain International Circuit', location: 'Sakhir', country: 'Bahrain' },
  { name: 'Saudi Arabian Grand Prix', circuitRef: 'jeddah', circuit: 'Jeddah Corniche Circuit', location: 'Jeddah', country: 'Saudi Arabia' },
  { name: 'Monaco Grand Prix', circuitRef: 'monaco', circuit: 'Circuit de Monaco', location: 'Monte-Carlo', country: 'Monaco' },
  { name: 'Spanish Grand Prix', circuitRef: 'catalunya', circuit: 'Circuit de Barcelona-Catalunya', location: 'Montmeló', country: 'Spain' },
  { name: 'Italian Grand Prix', circuitRef: 'monza', circuit: 'Autodromo Nazionale di Monza', location: 'Monza', country: 'Italy' },
  { name: 'Emilia Romagna Grand Prix', circuitRef: 'imola', circuit: 'Autodromo Enzo e Dino Ferrari', location: 'Imola', country: 'Italy' },
  { name: 'Abu Dhabi Grand Prix', circuitRef: 'yasmarina', circuit: 'Yas Marina Circuit', location: 'Abu Dhabi', country: 'UAE' },
] as const;

const DRIVERS = [
  ['verstappen', 'Max', 'Verstappen', 'VER', 1], ['norris', 'Lando', 'Norris', 'NOR', 4], ['leclerc', 'Charles', 'Leclerc', 'LEC', 16],
  ['piastri', 'Oscar', 'Piastri', 'PIA', 81], ['sainz', 'Carlos', 'Sainz', 'SAI', 55], ['russell', 'George', 'Russell', 'RUS', 63],
  ['hamilton', 'Lewis', 'Hamilton', 'HAM', 44], ['perez', 'Sergio', 'Perez', 'PER', 11], ['alonso', 'Fernando', 'Alonso', 'ALO', 14],
  ['stroll', 'Lance', 'Stroll', 'STR', 18],
] as const;
const CONSTRUCTORS = [['redbull', 'Red Bull'], ['mclaren', 'McLaren'], ['ferrari', 'Ferrari'], ['mercedes', 'Mercedes'], ['astonmartin', 'Aston Martin']] as const;

export interface BuiltSeason {
  season: number;
  /** In calendar order. */
  races: Race[];
  /** Driver ids, in the builder's order (also each race's default qualifying order). */
  drivers: number[];
  driverRefs: string[];
  /** The team of each driver, by driver id. */
  teamOf: Map<number, number>;
  constructorRefOf: Map<number, string>;
  status: { finished: number; retired: number };
}

export interface SeasonOptions {
  season?: number;
  /** How many of GRANDS_PRIX, from the first (default 4). */
  races?: number;
  /** How many drivers, two per team (default 6, at most 10). */
  drivers?: number;
  /** The first race's date; the others follow a week apart each (default the 3rd of March). */
  firstRace?: string;
  /** Store each race's qualifying in driver order (default true): the entry list a freeze needs. */
  qualifying?: boolean;
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A season of a few races (qualifying Saturday 14:00, race Sunday 13:00 UTC), drivers and teams. */
export async function buildSeason(repo: Repository, options: SeasonOptions = {}): Promise<BuiltSeason> {
  const season = options.season ?? 2024;
  const gps = GRANDS_PRIX.slice(0, options.races ?? 4);
  const drivers = DRIVERS.slice(0, options.drivers ?? 6);
  const teams = CONSTRUCTORS.slice(0, Math.ceil(drivers.length / 2));
  const first = Date.parse(`${options.firstRace ?? `${season}-03-03`}T00:00:00Z`);

  await repo.reference.upsert('seasons', [{ year: season }]);
  await repo.reference.upsert('circuits', gps.map((g) => ({ circuitRef: g.circuitRef, name: g.circuit, location: g.location, country: g.country })));
  await repo.reference.upsert('drivers', drivers.map(([driverRef, forename, surname, code, number]) => ({ driverRef, forename, surname, code, number })));
  await repo.reference.upsert('constructors', teams.map(([constructorRef, name]) => ({ constructorRef, name })));
  await repo.reference.ensure('status', ['Finished', 'Engine']);
  const keys = await repo.reference.keys();
  await repo.reference.upsert(
    'races',
    gps.map((g, i) => {
      const raceDay = first + i * 7 * DAY;
      return { season, round: i + 1, circuitId: keys.circuits.get(g.circuitRef), name: g.name, date: isoDate(raceDay), time: '13:00:00', qualiDate: isoDate(raceDay - DAY), qualiTime: '14:00:00' };
    }),
  );
  const races = await repo.races.listSeason(season);
  const driverIds = drivers.map(([ref]) => keys.drivers.get(ref)!);
  const teamOf = new Map(driverIds.map((id, i) => [id, keys.constructors.get(teams[Math.floor(i / 2)]![0])!]));
  const built: BuiltSeason = {
    season, races, drivers: driverIds, driverRefs: drivers.map(([ref]) => ref), teamOf,
    constructorRefOf: new Map(teams.map(([ref]) => [keys.constructors.get(ref)!, ref])),
    status: { finished: keys.status.get('Finished')!, retired: keys.status.get('Engine')! },
  };
  if (options.qualifying ?? true) for (const race of races) await addQualifying(repo, built, race, driverIds);
  return built;
}

export const raceNamed = (s: BuiltSeason, name: string): Race => {
  const race = s.races.find((r) => r.name.startsWith(name));
  if (!race) throw new Error(`no race ${name} in the built season`);
  return race;
};

/** Stores a qualifying classification in the given order (pole first). */
export async function addQualifying(repo: Repository, s: BuiltSeason, race: Race, order: readonly number[]): Promise<void> {
  await repo.reference.upsert('qualifying', order.map((driverId, i) => ({ raceId: race.id, driverId, constructorId: s.teamOf.get(driverId), position: i + 1, q1Ms: 90_000 + i * 100 })));
}

/** Result rows for the reference store: `order` finishes in that order; `retired` drivers stopped with an engine failure. */
export function resultRows(s: BuiltSeason, race: Race, order: readonly number[], retired: readonly number[] = []) {
  return order.map((driverId, i) => {
    const out = retired.includes(driverId);
    return {
      raceId: race.id, driverId, constructorId: s.teamOf.get(driverId), number: null, grid: i + 1, position: out ? null : i + 1,
      positionText: out ? 'R' : String(i + 1), positionOrder: i + 1, points: out ? 0 : Math.max(0, 10 - i), laps: out ? 20 : 57,
      milliseconds: out ? null : 5_400_000 + i * 4_000, statusId: out ? s.status.retired : s.status.finished,
    };
  });
}

export async function addResults(repo: Repository, s: BuiltSeason, race: Race, order: readonly number[], retired: readonly number[] = []): Promise<void> {
  await repo.reference.upsert('results', resultRows(s, race, order, retired));
}

/** The same classification as an upstream results API delivers it (natural keys, status text). */
export function resultBatch(s: BuiltSeason, race: Race, order: readonly number[]): RecordBatch {
  const refOf = new Map(s.drivers.map((id, i) => [id, s.driverRefs[i]!]));
  return {
    results: order.map((driverId, i) => ({
      season: race.season, round: race.round, driverRef: refOf.get(driverId)!, constructorRef: s.constructorRefOf.get(s.teamOf.get(driverId)!)!,
      number: null, grid: i + 1, position: i + 1, positionText: String(i + 1), positionOrder: i + 1, points: Math.max(0, 10 - i), laps: 57,
      timeText: null, milliseconds: 5_400_000 + i * 4_000, fastestLap: null, fastestLapTime: null, status: 'Finished',
    })),
  };
}

/** One snapshot entry per driver in the given order, with coherent probabilities. */
export function entriesFor(s: BuiltSeason, order: readonly number[]): PredictionEntry[] {
  const n = order.length;
  return order.map((driverId, i) => ({
    driverId, constructorId: s.teamOf.get(driverId)!, predictedPosition: i + 1, expectedPosition: i + 1, medianPosition: i + 1,
    gapSeconds: i * 3, gapLowSeconds: i * 1.5, gapHighSeconds: i * 5 + 2, gapFlagged: false, pWin: i === 0 ? 0.5 : 0.5 / (n - 1),
    pPodium: n <= 3 ? 1 : i < 3 ? 0.6 : 1.2 / (n - 3), pPoints: 1, pDnf: 0.08, featureCoverage: 1, imputedCount: 0, strategy: null, reasons: null,
  }));
}

/** A valid forecast of a race by the qualifying-order baseline, frozen on a simulated clock at `at`. */
export function snapshotOf(s: BuiltSeason, race: Race, at: Date, over: Partial<NewPrediction> = {}): NewPrediction {
  return {
    raceId: race.id, modelVersion: 'qualifying-order-v1', kind: 'forecast', clock: 'simulated', createdAt: at, freezePolicy: { kind: 'post_qualifying' },
    snapshotAt: at, sessionType: 'qualifying', inputsHash: 'a'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, warnings: [],
    entries: entriesFor(s, s.drivers), ...over,
  };
}

/** A race model registered as the training job registers one (the artifact is never loaded). */
export function registerModel(repo: Repository, version: string, toSeason: number, learntThroughRaceStart?: string): Promise<ModelVersion> {
  return repo.modelVersions.register({
    kind: 'race', version, trainedAt: new Date('2025-01-01T00:00:00Z'), dataFromSeason: toSeason - 10, dataToSeason: toSeason, dataSnapshot: 'test',
    metrics: learntThroughRaceStart ? { pool: { learntThrough: { raceId: 1, season: toSeason + 1, round: 3, raceStart: learntThroughRaceStart } } } : {},
    artifactUri: `file:///nowhere/${version}`, codeRevision: null, trainingRunId: null,
  });
}
