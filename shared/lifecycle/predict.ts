import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FreezePolicy } from '../config/config.js';
import type { CurrentForecaster } from '../domain/forecast.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Repository } from '../repository/index.js';
import type { Clock } from './clock.js';
import type { Prediction, PredictionEntry } from './domain.js';
import { freezeWindow } from './freeze-policy.js';
import { matchRace } from './race-match.js';
import type { SnapshotCache, TtlCache } from './snapshot-cache.js';
import type { PredictionRef } from '../repository/predictions-store.js';
import type { Race } from '../domain/reference.js';
import { forecastConfidence, validateForecast } from './validate-forecast.js';

export const raceRef = z.object({
  year: z.coerce.number().int().min(1950).max(2100),
  race: z.string().trim().min(1).max(80),
});
export type RaceRef = z.infer<typeof raceRef>;

export interface PredictDeps {
  repo: Repository;
  clock: Clock;
  policy: FreezePolicy;
  /** The model version for a freeze (the trained model, or a baseline when none may forecast it). */
  forecaster: CurrentForecaster;
  /** Frozen snapshots already read by this instance, by id. */
  snapshots?: SnapshotCache<Prediction>;
  /** Race + model version → frozen snapshot ref; a frozen snapshot is never deleted, so never stale. */
  frozenRefs?: SnapshotCache<PredictionRef, string>;
  /** The season calendars, re-read after a short TTL. */
  seasons?: TtlCache<Race[], number>;
  /** A pre-race strategy forecast (stops, first pit window) each entry carries, if any. */
  strategy?: (race: Race) => Promise<object | null>;
}

export interface PredictOutcome {
  prediction: Prediction;
  /** True for the one call that froze it; later and concurrent calls get false. */
  created: boolean;
}

export async function findRace(repo: Repository, ref: RaceRef, seasons?: TtlCache<Race[], number>) {
  const races = seasons ? await seasons.get(ref.year, () => repo.races.listSeason(ref.year)) : await repo.races.listSeason(ref.year);
  if (races.length === 0) throw new NotFoundError('season', ref.year);
  try {
    return matchRace(races, ref.year, ref.race);
  } catch (err) {
    if (!(err instanceof NotFoundError) || /^\d+$/.test(ref.race.trim())) throw err;
  }
  // Not a race name: try the circuits (loaded only then; most calls name the race).
  const circuits = new Map((await repo.reference.circuits()).filter((c) => races.some((r) => r.circuitId === c.id)).map((c) => [c.id, c]));
  return matchRace(races, ref.year, ref.race, circuits);
}

/**
 * Freezes the forecast of a race under the freeze policy, once per model version. A
 * frozen snapshot is returned as is; otherwise the features are built as of the policy's
 * freeze instant (never "now": a late freeze sees no more than a timely one).
 */
export async function predict(deps: PredictDeps, ref: RaceRef): Promise<PredictOutcome> {
  const race = await findRace(deps.repo, ref, deps.seasons);
  const window = freezeWindow(race, deps.policy);
  const now = deps.clock.now();
  if (now < window.allowedAt) {
    throw new ConflictError(`the ${deps.policy.kind} policy allows freezing ${race.name} ${race.season} from ${window.allowedAt.toISOString()}`, {
      raceId: race.id,
      allowedAt: window.allowedAt.toISOString(),
      policy: deps.policy.kind,
    });
  }
  const forecaster = await deps.forecaster(window.allowedAt);
  const refKey = `${race.id}/${forecaster.version}`;
  const frozen = deps.frozenRefs?.get(refKey) ?? (await deps.repo.predictions.refByRaceAndModel(race.id, forecaster.version));
  if (frozen) {
    deps.frozenRefs?.set(refKey, frozen);
    const load = async () => (await deps.repo.predictions.byId(frozen.id))!;
    return { prediction: deps.snapshots ? await deps.snapshots.getOrLoad(frozen.id, load) : await load(), created: false };
  }

  const entrants = (await deps.repo.reference.qualifying(race.id)).map((q) => q.driverId);
  if (entrants.length === 0) {
    throw new ConflictError(`no qualifying classification (entry list) for ${race.name} ${race.season} yet`, { raceId: race.id });
  }
  // Independent reads: on PostgreSQL they overlap.
  const [forecast, strategy] = await Promise.all([forecaster.forecast(race.id, window.allowedAt), deps.strategy?.(race) ?? null]);
  const checked = validateForecast(forecast, entrants);
  const warnings = [...checked.warnings];
  if (now >= window.raceStartsAt) {
    warnings.push(`frozen after the race start; features as of ${window.allowedAt.toISOString()}`);
  }
  const inputsHash = createHash('sha256')
    .update(
      JSON.stringify({ raceId: race.id, asOf: window.allowedAt.toISOString(), model: forecaster.version, entrants: [...entrants].sort((a, b) => a - b), forecast: forecast.drivers, strategy }),
    )
    .digest('hex');

  return deps.repo.withTransaction((trx) =>
    trx.predictions.freeze({
      raceId: race.id,
      modelVersion: forecaster.version,
      createdAt: now,
      freezePolicy: deps.policy,
      snapshotAt: window.allowedAt,
      sessionType: window.sessionType,
      inputsHash,
      confidence: forecastConfidence(checked.entries.map((e) => e.pWin)),
      featureCoverage: checked.featureCoverage,
      imputedCount: checked.imputedCount,
      warnings,
      entries: checked.entries.map((e) => ({ ...e, strategy: strategy as PredictionEntry['strategy'] })),
    }),
  );
}
