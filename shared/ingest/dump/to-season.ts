import type { RecordBatch } from '../records.js';

/**
 * A dump cut back to the seasons up to `toSeason`: its races and their rows, and only the
 * drivers, constructors and circuits that appear in them, so a database starts as it stood
 * before the next season (the emulated replay of season S starts from toSeason = S − 1).
 * A driver, team or circuit first seen later must then arrive through the API ingest, as a
 * newcomer would. Finishing statuses are a lookup of texts, not entities: all are kept.
 */
export function keepSeasonsUpTo(batch: RecordBatch, toSeason: number): RecordBatch {
  const keep = <T extends { season: number }>(rows: T[] | undefined) => rows?.filter((r) => r.season <= toSeason);
  const races = keep(batch.races);
  const results = keep(batch.results);
  const sprintResults = keep(batch.sprintResults);
  const qualifying = keep(batch.qualifying);
  const driverStandings = keep(batch.driverStandings);
  const constructorStandings = keep(batch.constructorStandings);
  const constructorResults = keep(batch.constructorResults);
  const pitStops = keep(batch.pitStops);
  const laps = keep(batch.laps);

  const drivers = new Set<string>();
  const constructors = new Set<string>();
  for (const r of [...(results ?? []), ...(sprintResults ?? []), ...(qualifying ?? [])]) {
    drivers.add(r.driverRef);
    constructors.add(r.constructorRef);
  }
  for (const r of [...(driverStandings ?? []), ...(pitStops ?? []), ...(laps ?? [])]) drivers.add(r.driverRef);
  for (const r of [...(constructorStandings ?? []), ...(constructorResults ?? [])]) constructors.add(r.constructorRef);
  const circuits = new Set((races ?? []).map((r) => r.circuitRef));

  /** A correction or warning belongs to the seasons kept when its record (or raw row) says so; one that names no season stays. */
  const seasonOf = (v: unknown): number | undefined => {
    const s = (v as { season?: unknown } | null)?.season;
    return typeof s === 'number' ? s : undefined;
  };
  const inRange = (x: { raw: unknown; corrected?: unknown }) => (seasonOf(x.corrected) ?? seasonOf(x.raw) ?? toSeason) <= toSeason;

  return {
    ...batch,
    seasons: batch.seasons?.filter((s) => s.year <= toSeason),
    circuits: batch.circuits?.filter((c) => circuits.has(c.circuitRef)),
    drivers: batch.drivers?.filter((d) => drivers.has(d.driverRef)),
    constructors: batch.constructors?.filter((c) => constructors.has(c.constructorRef)),
    races,
    results,
    sprintResults,
    qualifying,
    driverStandings,
    constructorStandings,
    constructorResults,
    pitStops,
    laps,
    corrections: batch.corrections?.filter(inRange),
    warnings: batch.warnings?.filter(inRange),
  };
}
