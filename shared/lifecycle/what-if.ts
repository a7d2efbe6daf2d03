import type { CurrentForecaster, DriverForecast, Forecaster, ForecastReason } from '../domain/forecast.js';
import { freezeWindow, type FreezePolicy } from '../domain/freeze-policy.js';
import { applyGridChanges, type GridChange } from '../domain/grid-change.js';
import type { Driver, Race } from '../domain/reference.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Repository } from '../repository/index.js';
import { findRace } from './predict.js';

/**
 * What if the grid were different (POST /what-if): the race's forecast recomputed as of its
 * post-qualifying freeze with a changed grid (penalties, pit-lane starts, a given slot, a driver
 * swapped out), beside the unchanged forecast computed the same way, so every difference is the
 * change's. Never frozen, never stored. The model is the one the official snapshot was frozen
 * with when it can still be loaded (so the unchanged forecast is the snapshot's), else the
 * version a freeze at that instant would use now. The qualifying-order baseline (a fresh clone
 * with no trained model) answers too: its forecast is the changed grid's order.
 */

/** A change as the caller names it: a driver by id or code, and exactly one action. */
export type WhatIfChange = { driver: string | number } & ({ gridPenalty: number } | { pitLane: true } | { grid: number } | { replacedBy: string | number });

export interface WhatIfRequest {
  year: number;
  race: string | number;
  changes: WhatIfChange[];
}

export interface WhatIfDeps {
  repo: Repository;
  forecaster: CurrentForecaster;
}

/** What-if forecasts are read at the grid's freeze, whatever policy the snapshots are frozen under. */
export const WHAT_IF_POLICY: FreezePolicy = { kind: 'post_qualifying' };

interface ResolvedChange {
  change: GridChange;
  text: string;
}

const nameOf = (d: Driver) => d.code ?? `${d.forename} ${d.surname}`;

/** A driver named by id, code or driverRef among `pool`; undefined when none, an error when the code is ambiguous. */
function pick(pool: readonly Driver[], ref: string | number, path: string): Driver | undefined {
  const key = String(ref).trim().toLowerCase();
  if (/^\d+$/.test(key)) return pool.find((d) => d.id === Number(key));
  const found = pool.filter((d) => d.code?.toLowerCase() === key || d.driverRef.toLowerCase() === key);
  if (found.length > 1) {
    throw new ValidationError(`${path}: "${ref}" names ${found.length} drivers (${found.map((d) => `${d.forename} ${d.surname} id ${d.id}`).join(', ')}): give the id`, [{ path, message: 'ambiguous driver' }]);
  }
  return found[0];
}

async function resolve(repo: Repository, race: Race, entrants: readonly number[], changes: readonly WhatIfChange[]): Promise<ResolvedChange[]> {
  const drivers = await repo.reference.drivers();
  const inRace = drivers.filter((d) => entrants.includes(d.id));
  const codes = inRace.map(nameOf).sort().join(', ');
  const seen = new Set<number>();
  // A replacement named by code is looked for among this and last season's drivers first (codes are reused over the decades).
  const recent = new Set((await repo.reference.seasonResults(race.season)).concat(await repo.reference.seasonResults(race.season - 1)).map((r) => r.driverId));
  return changes.map((c, k) => {
    const path = `changes.${k}.driver`;
    const d = pick(inRace, c.driver, path);
    if (!d) throw new NotFoundError(`driver "${c.driver}" in`, `${race.name} ${race.season}`, `its entrants are ${codes}`);
    if (seen.has(d.id)) throw new ValidationError(`${path}: ${nameOf(d)} has more than one change: give one change per driver`, [{ path, message: 'one change per driver' }]);
    seen.add(d.id);
    if ('gridPenalty' in c) return { change: { driverId: d.id, gridPenalty: c.gridPenalty }, text: `${nameOf(d)}: ${c.gridPenalty}-place grid penalty` };
    if ('pitLane' in c) return { change: { driverId: d.id, pitLane: true }, text: `${nameOf(d)}: starts from the pit lane` };
    if ('grid' in c) {
      if (c.grid > entrants.length) throw new ValidationError(`changes.${k}.grid: the grid has ${entrants.length} slots; got ${c.grid}`, [{ path: `changes.${k}.grid`, message: `at most ${entrants.length}` }]);
      return { change: { driverId: d.id, grid: c.grid }, text: `${nameOf(d)}: starts P${c.grid}` };
    }
    const rpath = `changes.${k}.replacedBy`;
    const r = pick(drivers.filter((x) => recent.has(x.id)), c.replacedBy, rpath) ?? pick(drivers, c.replacedBy, rpath);
    if (!r) throw new NotFoundError('driver', String(c.replacedBy), 'name the replacement by id or code (GET /drivers?season= lists them)');
    if (entrants.includes(r.id) || seen.has(r.id)) {
      throw new ValidationError(`${rpath}: ${nameOf(r)} already has a seat in ${race.name} ${race.season}: a replacement must be a driver not in the race`, [{ path: rpath, message: 'already in the race' }]);
    }
    seen.add(r.id);
    return { change: { driverId: d.id, replacedBy: r.id }, text: `${nameOf(d)} replaced by ${nameOf(r)}` };
  });
}

/** The unchanged and the changed forecast, by the official snapshot's model when it can still be loaded. */
async function forecasterFor(deps: WhatIfDeps, race: Race): Promise<{ forecaster: Forecaster; asOf: Date; source: 'official snapshot' | 'current' }> {
  const official = await deps.repo.predictions.official(race.id, WHAT_IF_POLICY);
  const asOf = official?.snapshotAt ?? freezeWindow(race, WHAT_IF_POLICY).allowedAt;
  const same = official ? await deps.forecaster.byVersion?.(official.modelVersion) : undefined;
  return same ? { forecaster: same, asOf, source: 'official snapshot' } : { forecaster: await deps.forecaster(asOf), asOf, source: 'current' };
}

export interface WhatIfEntry {
  driverId: number;
  constructorId: number;
  grid: number;
  gridBefore: number | null;
  forecast: DriverForecast;
  /** The unchanged forecast of this driver, or of the driver whose seat a replacement took. */
  before: DriverForecast;
  reasons: ForecastReason[] | null;
}

export interface WhatIfOutcome {
  race: Race;
  asOf: Date;
  modelVersion: string;
  modelSource: 'official snapshot' | 'current';
  officialSnapshotId: number | null;
  changes: { change: GridChange; text: string }[];
  entries: WhatIfEntry[];
}

export async function whatIf(deps: WhatIfDeps, req: WhatIfRequest): Promise<WhatIfOutcome> {
  const race = await findRace(deps.repo, { year: req.year, race: String(req.race) });
  const qualifying = await deps.repo.reference.qualifying(race.id);
  if (qualifying.length === 0) {
    throw new ConflictError(`no qualifying classification (entry list) of ${race.name} ${race.season} is stored yet: a what-if changes the grid, so it needs one`, { raceId: race.id });
  }
  const entrants = qualifying.map((q) => q.driverId);
  const changes = await resolve(deps.repo, race, entrants, req.changes);
  const { forecaster, asOf, source } = await forecasterFor(deps, race);
  const gridChanges = changes.map((c) => c.change);
  const [before, after] = await Promise.all([forecaster.forecast(race.id, asOf), forecaster.forecast(race.id, asOf, { gridChanges })]);
  const official = source === 'official snapshot' ? await deps.repo.predictions.officialRef(race.id, WHAT_IF_POLICY) : undefined;

  const grid = new Map(applyGridChanges(qualifying, gridChanges).map((q) => [q.driverId, q.position]));
  const gridBefore = new Map(qualifying.map((q) => [q.driverId, q.position]));
  const seatOf = new Map(gridChanges.flatMap((c) => ('replacedBy' in c ? [[c.replacedBy, c.driverId] as const] : [])));
  const beforeOf = new Map(before.drivers.map((d) => [d.driverId, d]));
  const entries = [...after.drivers]
    .sort((a, b) => a.predictedPosition - b.predictedPosition)
    .map((d) => {
      const was = seatOf.get(d.driverId) ?? d.driverId;
      return { driverId: d.driverId, constructorId: d.constructorId, grid: grid.get(d.driverId)!, gridBefore: gridBefore.get(was) ?? null, forecast: d, before: beforeOf.get(was)!, reasons: d.reasons ?? null };
    });
  return { race, asOf, modelVersion: forecaster.version, modelSource: source, officialSnapshotId: official?.id ?? null, changes, entries };
}
