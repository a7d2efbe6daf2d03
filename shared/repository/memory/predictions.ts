import { sessionStartsAt } from '../../domain/reference.js';
import type { Evaluation, SupersededEvaluation } from '../../domain/scoring.js';
import type { Prediction, PredictionEntry } from '../../domain/prediction.js';
import { policyKey, policyMinutes, storedPolicy } from '../../domain/freeze-policy.js';
import type { EvaluationsStore } from '../evaluations-store.js';
import type { PredictionsStore, SnapshotKey } from '../predictions-store.js';
import { raceOf } from './reference.js';
import { ConstraintError, copy, jsonb, type Row, type Session } from './tables.js';

/**
 * Frozen snapshots and their scores in memory, admitted by the rules the database enforces
 * (migrations/004, 006, 007): a snapshot is written once, with its entries, and never
 * changed (the table takes no second write under an id); a forecast must be frozen before
 * its race by a model that has seen nothing from its freeze instant on; the first forecast
 * of a race and policy is the official one; only official snapshots are scored.
 */

/** Versions that forecast without training data (migrations/006's forecast_baselines). */
export const FORECAST_BASELINES: ReadonlySet<string> = new Set(['qualifying-order-v1']);

const HASH = /^[0-9a-f]{64}$/;
const unit = (x: number) => x >= 0 && x <= 1;

interface StoredPrediction extends Row {
  prediction: Prediction;
  policyKey: string;
}

function refuse(message: string, code: ConstraintError['code'] = '23514'): never {
  throw new ConstraintError(message, code);
}

function checkEntries(predictionId: number, entries: readonly PredictionEntry[], s: Session): void {
  const drivers = new Set<number>();
  const positions = new Set<number>();
  for (const e of entries) {
    if (drivers.has(e.driverId)) refuse(`duplicate key value violates unique constraint "prediction_entries_pkey": (${predictionId}, ${e.driverId})`, '23505');
    if (positions.has(e.predictedPosition)) refuse(`duplicate key value violates unique constraint "prediction_entries_prediction_id_predicted_position_key": (${predictionId}, ${e.predictedPosition})`, '23505');
    drivers.add(e.driverId);
    positions.add(e.predictedPosition);
    if (!s.tables.get('drivers', e.driverId)) refuse(`prediction entry: driver ${e.driverId} does not exist`, '23503');
    if (!s.tables.get('constructors', e.constructorId)) refuse(`prediction entry: constructor ${e.constructorId} does not exist`, '23503');
    const ok =
      e.predictedPosition >= 1 && e.expectedPosition >= 1 && (e.medianPosition === null || e.medianPosition >= 1) && e.gapSeconds >= 0 && e.gapLowSeconds >= 0 &&
      e.gapHighSeconds >= e.gapLowSeconds && [e.pWin, e.pPodium, e.pPoints, e.pDnf, e.featureCoverage].every(unit) && e.imputedCount >= 0;
    if (!ok) refuse(`new row for relation "prediction_entries" violates check constraint (driver ${e.driverId} of prediction ${predictionId})`);
  }
}

export function createMemoryPredictionsStore(s: Session): PredictionsStore {
  const t = s.tables;
  const stored = () => t.rows('predictions') as StoredPrediction[];
  const keyed = (k: SnapshotKey) => stored().find((r) => r.prediction.raceId === k.raceId && r.prediction.modelVersion === k.modelVersion && r.policyKey === policyKey(k.policy) && r.prediction.kind === k.kind);
  const officialRow = (raceId: number, key: string) => stored().find((r) => r.prediction.raceId === raceId && r.policyKey === key && r.prediction.official);
  const out = (r: StoredPrediction | undefined) => (r ? copy(r.prediction) : undefined);
  const ref = (r: StoredPrediction | undefined) => (r ? { id: r.prediction.id, inputsHash: r.prediction.inputsHash } : undefined);

  return {
    async freeze(p) {
      const raceRow = t.get('races', p.raceId) ?? refuse(`insert or update on table "predictions" violates foreign key constraint: race ${p.raceId} does not exist`, '23503');
      if (!p.modelVersion) refuse('predictions.model_version must not be empty');
      if (!HASH.test(p.inputsHash)) refuse('predictions.inputs_hash must be 64 hex digits');
      if (!unit(p.confidence) || !unit(p.featureCoverage) || !(p.imputedCount >= 0)) refuse('predictions: confidence and feature coverage in [0, 1], imputed count >= 0');
      const minutes = policyMinutes(p.freezePolicy);
      if (minutes !== null && !(minutes > 0)) refuse('predictions.freeze_minutes must be positive');

      // The admission trigger runs before the unique index is consulted, as in migrations/006.
      const recordedAt = s.now();
      const createdAt = p.clock === 'wall' ? recordedAt : p.createdAt;
      const starts = sessionStartsAt(raceOf(raceRow).sessions.race);
      if (p.snapshotAt > starts) {
        refuse(`a snapshot of race ${p.raceId} stands for ${p.snapshotAt.toISOString()}, after the race start ${starts.toISOString()}`);
      }
      const model = t.rows('model_versions').find((r) => (r.version as { kind: string; version: string }).kind === 'race' && (r.version as { version: string }).version === p.modelVersion);
      // migrations/018: a pre-weekend learner's version has seen the races through its latest one.
      const learner = model ? undefined : (t.get('pre_weekend_learners', p.modelVersion)?.learner as { throughRaceStart: Date | null } | undefined);
      if (!model && !learner && !FORECAST_BASELINES.has(p.modelVersion)) refuse(`model ${p.modelVersion} is neither a registered race model nor a baseline`, '23503');
      const through = model ? (model.dataThrough as Date).getTime() : (learner?.throughRaceStart?.getTime() ?? -Infinity);
      const key = policyKey(p.freezePolicy);
      if (p.kind === 'forecast') {
        if (createdAt >= starts) {
          refuse(`race ${p.raceId} started at ${starts.toISOString()}: a forecast frozen at ${createdAt.toISOString()} can only be stored as retrospective`);
        }
        if (through >= p.snapshotAt.getTime()) {
          refuse(`model ${p.modelVersion} has seen data through ${new Date(through).toISOString()}, not before the freeze instant ${p.snapshotAt.toISOString()} of race ${p.raceId}: it can only make a retrospective forecast`);
        }
      }
      const existing = keyed({ raceId: p.raceId, modelVersion: p.modelVersion, policy: p.freezePolicy, kind: p.kind });
      if (existing) return { prediction: copy(existing.prediction), created: false };

      const id = t.nextId('predictions');
      checkEntries(id, p.entries, s);
      const prediction: Prediction = {
        id, raceId: p.raceId, modelVersion: p.modelVersion, kind: p.kind, clock: p.clock, createdAt, recordedAt,
        official: p.kind === 'forecast' && !officialRow(p.raceId, key),
        freezePolicy: storedPolicy(p.freezePolicy.kind, policyMinutes(p.freezePolicy)),
        snapshotAt: p.snapshotAt, sessionType: p.sessionType, inputsHash: p.inputsHash, confidence: p.confidence, featureCoverage: p.featureCoverage,
        imputedCount: p.imputedCount, status: 'frozen', warnings: jsonb(p.warnings),
        entries: [...p.entries]
          .sort((a, b) => a.predictedPosition - b.predictedPosition)
          .map((e) => ({ ...e, strategy: e.strategy === null ? null : jsonb(e.strategy), reasons: e.reasons == null ? null : jsonb(e.reasons) })),
        weather: p.weather == null ? null : jsonb(p.weather),
        headToHead: p.headToHead == null ? null : jsonb(p.headToHead),
      };
      s.write('predictions', id, { prediction, policyKey: key } satisfies StoredPrediction);
      return { prediction: copy(prediction), created: true };
    },
    async byKey(key) {
      return out(keyed(key));
    },
    async refByKey(key) {
      return ref(keyed(key));
    },
    async officialRef(raceId, policy) {
      return ref(officialRow(raceId, policyKey(policy)));
    },
    async official(raceId, policy) {
      return out(officialRow(raceId, policyKey(policy)));
    },
    async officialForRace(raceId) {
      return stored().filter((r) => r.prediction.raceId === raceId && r.prediction.official).sort((a, b) => a.prediction.id - b.prediction.id).map((r) => copy(r.prediction));
    },
    async officialIdsByRace(raceIds, policy) {
      const key = policyKey(policy);
      const wanted = new Set(raceIds);
      return new Map(stored().filter((r) => wanted.has(r.prediction.raceId) && r.prediction.official && r.policyKey === key).map((r) => [r.prediction.raceId, r.prediction.id]));
    },
    async snapshots(raceId) {
      return stored()
        .filter((r) => r.prediction.raceId === raceId)
        .sort((a, b) => a.prediction.id - b.prediction.id)
        .map((r) => {
          const { entries: _entries, ...rest } = copy(r.prediction);
          return rest;
        });
    },
    async byId(id) {
      return out(t.get('predictions', id) as StoredPrediction | undefined);
    },
    async count(raceId) {
      return raceId === undefined ? t.count('predictions') : stored().filter((r) => r.prediction.raceId === raceId).length;
    },
    async names(driverIds, constructorIds) {
      const drivers = new Map<number, { name: string; code: string | null }>();
      for (const id of driverIds) {
        const d = t.get('drivers', id);
        if (d) drivers.set(id, { name: `${d.forename} ${d.surname}`, code: (d.code as string | null) ?? null });
      }
      const constructors = new Map<number, string>();
      for (const id of constructorIds) {
        const c = t.get('constructors', id);
        if (c) constructors.set(id, String(c.name));
      }
      return { drivers, constructors };
    },
  };
}

/** NaN is not JSON and not a useful score: stored as null, as the SQL store does. */
const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
const finiteRecord = <T extends Record<string, number | null>>(r: T): T => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, finite(v)])) as T;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function createMemoryEvaluationsStore(s: Session): EvaluationsStore {
  const t = s.tables;
  const all = () => t.rows('evaluations').map((r) => r.evaluation as Evaluation);
  const predictionOf = (e: Evaluation) => (t.get('predictions', e.predictionId) as StoredPrediction).prediction;
  return {
    async upsert(e) {
      const p = (t.get('predictions', e.predictionId) as StoredPrediction | undefined)?.prediction;
      if (!p?.official || p.raceId !== e.raceId) {
        refuse(`prediction ${e.predictionId} is not the official snapshot of race ${e.raceId}: only official snapshots are scored`);
      }
      if (!(e.starters >= 0)) refuse('evaluations.starters must be >= 0');
      const existing = all().find((x) => x.raceId === e.raceId && x.predictionId === e.predictionId);
      const resultVersion = e.resultVersion ?? null;
      const evaluatedAt = e.evaluatedAt ?? s.now();
      // A score against another classification version is kept before it is replaced.
      if (existing && existing.resultVersion !== resultVersion) {
        const id = t.nextId('evaluation_history');
        s.write('evaluation_history', id, { superseded: { ...existing, supersededAt: evaluatedAt } satisfies SupersededEvaluation });
      }
      const evaluation: Evaluation = {
        id: existing?.id ?? t.nextId('evaluations'),
        raceId: e.raceId, predictionId: e.predictionId, evaluatedAt, starters: e.starters, resultVersion,
        positionMae: finite(e.positionMae), timeMaeSeconds: finite(e.timeMaeSeconds), winnerCorrect: e.winnerCorrect, podiumAccuracy: finite(e.podiumAccuracy),
        top10Accuracy: finite(e.top10Accuracy), spearman: finite(e.spearman), brier: finiteRecord(e.brier), logLoss: finiteRecord(e.logLoss),
        calibrationError: finiteRecord(e.calibrationError), intervalCoverage: finite(e.intervalCoverage),
        baseline: {
          ...e.baseline, positionMae: finite(e.baseline.positionMae), podiumAccuracy: finite(e.baseline.podiumAccuracy),
          top10Accuracy: finite(e.baseline.top10Accuracy), spearman: finite(e.baseline.spearman),
        },
      };
      s.write('evaluations', evaluation.id, { evaluation });
      return copy(evaluation);
    },
    async byPrediction(predictionId) {
      const e = all().find((x) => x.predictionId === predictionId);
      return e ? copy(e) : undefined;
    },
    async history(predictionId) {
      return t.rows('evaluation_history')
        .map((r) => r.superseded as SupersededEvaluation)
        .filter((e) => e.predictionId === predictionId)
        .map((e) => copy(e));
    },
    async season(season, policy) {
      const key = policyKey(policy);
      return all()
        .flatMap((e) => {
          const race = t.get('races', e.raceId)!;
          const p = predictionOf(e);
          return race.season === season && p.official && policyKey(p.freezePolicy) === key ? [{ ...copy(e), round: race.round as number, raceName: String(race.name) }] : [];
        })
        .sort((a, b) => a.round - b.round);
    },
    async summaryByModel() {
      const groups = new Map<string, Evaluation[]>();
      for (const e of all()) {
        const v = predictionOf(e).modelVersion;
        groups.set(v, [...(groups.get(v) ?? []), e]);
      }
      return [...groups.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([modelVersion, es]) => ({
          modelVersion,
          races: es.length,
          positionMae: mean(es.flatMap((e) => (e.positionMae === null ? [] : [e.positionMae]))),
          winnerAccuracy: mean(es.map((e) => (e.winnerCorrect ? 1 : 0))),
          brierWin: mean(es.flatMap((e) => (e.brier.win === null ? [] : [e.brier.win]))),
        }));
    },
    async count(raceId) {
      return raceId === undefined ? t.count('evaluations') : all().filter((e) => e.raceId === raceId).length;
    },
  };
}
