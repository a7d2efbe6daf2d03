import type { Knex } from 'knex';
import { policyKey, policyMinutes, storedPolicy, type FreezePolicy } from '../domain/freeze-policy.js';
import type { ForecastReason } from '../domain/forecast.js';
import type { HeadToHead, NewPrediction, Prediction, PredictionEntry, SnapshotKind } from '../domain/prediction.js';
import type { SnapshotWeather } from '../domain/weather.js';

/** A snapshot's identity: one per race, model version, freeze policy and kind. */
export interface SnapshotKey {
  raceId: number;
  modelVersion: string;
  policy: FreezePolicy;
  kind: SnapshotKind;
}

export interface PredictionsStore {
  /**
   * Stores a frozen snapshot unless one exists under its key; either way returns the stored
   * one. The database decides whether it may be a forecast and whether it is the official
   * one (migrations/006). Atomic only inside a transaction (the caller passes one).
   */
  freeze(p: NewPrediction): Promise<{ prediction: Prediction; created: boolean }>;
  byKey(key: SnapshotKey): Promise<Prediction | undefined>;
  /** Id and inputs hash only (one indexed read): enough to find a cached snapshot or answer 304. */
  refByKey(key: SnapshotKey): Promise<PredictionRef | undefined>;
  /** The official snapshot of a race under a freeze policy, if one was frozen. */
  officialRef(raceId: number, policy: FreezePolicy): Promise<PredictionRef | undefined>;
  official(raceId: number, policy: FreezePolicy): Promise<Prediction | undefined>;
  /** The official snapshots of a race under every policy. */
  officialForRace(raceId: number): Promise<Prediction[]>;
  /** Races with an official snapshot under the policy, with its id. */
  officialIdsByRace(raceIds: number[], policy: FreezePolicy): Promise<Map<number, number>>;
  /** Every snapshot of a race (official, superseded and retrospective), oldest first, without entries. */
  snapshots(raceId: number): Promise<Omit<Prediction, 'entries'>[]>;
  byId(id: number): Promise<Prediction | undefined>;
  count(raceId?: number): Promise<number>;
  /** Display names of the drivers and teams a snapshot or classification mentions. */
  names(driverIds: number[], constructorIds: number[]): Promise<Names>;
}

export interface PredictionRef {
  id: number;
  inputsHash: string;
}

export interface Names {
  drivers: Map<number, { name: string; code: string | null }>;
  constructors: Map<number, string>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function mapEntry(r: Record<string, unknown>): PredictionEntry {
  return {
    driverId: Number(r.driver_id),
    constructorId: Number(r.constructor_id),
    predictedPosition: Number(r.predicted_position),
    expectedPosition: Number(r.expected_position),
    medianPosition: r.median_position === null || r.median_position === undefined ? null : Number(r.median_position),
    gapSeconds: Number(r.gap_seconds),
    gapLowSeconds: Number(r.gap_low_seconds),
    gapHighSeconds: Number(r.gap_high_seconds),
    gapFlagged: Boolean(r.gap_flagged),
    pWin: Number(r.p_win),
    pPodium: Number(r.p_podium),
    pPoints: Number(r.p_points),
    pDnf: Number(r.p_dnf),
    featureCoverage: Number(r.feature_coverage),
    imputedCount: Number(r.imputed_count),
    strategy: (r.strategy as Record<string, unknown> | null) ?? null,
    reasons: r.reasons == null ? null : (json(r.reasons) as ForecastReason[]),
  };
}

function mapPrediction(r: Record<string, unknown>, entries: PredictionEntry[]): Prediction {
  return {
    id: Number(r.id),
    raceId: Number(r.race_id),
    modelVersion: String(r.model_version),
    kind: r.kind as SnapshotKind,
    clock: r.clock === 'simulated' ? 'simulated' : 'wall',
    createdAt: new Date(r.created_at as string),
    recordedAt: new Date(r.recorded_at as string),
    official: Boolean(r.official),
    freezePolicy: storedPolicy(String(r.freeze_policy), r.freeze_minutes === null ? null : Number(r.freeze_minutes)),
    snapshotAt: new Date(r.snapshot_at as string),
    sessionType: r.session_type as Prediction['sessionType'],
    inputsHash: String(r.inputs_hash),
    confidence: Number(r.confidence),
    featureCoverage: Number(r.feature_coverage),
    imputedCount: Number(r.imputed_count),
    status: 'frozen',
    warnings: json(r.warnings) as string[],
    entries,
    weather: r.weather == null ? null : (json(r.weather) as SnapshotWeather),
    headToHead: r.head_to_head == null ? null : (json(r.head_to_head) as HeadToHead),
  };
}

export function createPredictionsStore(db: Knex | Knex.Transaction): PredictionsStore {
  const keyed = (k: SnapshotKey) => ({ race_id: k.raceId, model_version: k.modelVersion, policy_key: policyKey(k.policy), kind: k.kind });
  const official = (raceId: number, policy: FreezePolicy) => db('predictions').where({ race_id: raceId, policy_key: policyKey(policy), official: true });
  const toRef = (row: Record<string, unknown> | undefined) => (row ? { id: Number(row.id), inputsHash: String(row.inputs_hash) } : undefined);
  const withEntries = async (row: Record<string, unknown> | undefined) => {
    if (!row) return undefined;
    const entries = await db('prediction_entries').where({ prediction_id: row.id }).orderBy('predicted_position');
    return mapPrediction(row, entries.map(mapEntry));
  };
  return {
    async freeze(p) {
      const inserted = (await db('predictions')
        .insert({
          race_id: p.raceId,
          model_version: p.modelVersion,
          kind: p.kind,
          clock: p.clock,
          created_at: p.createdAt,
          freeze_policy: p.freezePolicy.kind,
          freeze_minutes: policyMinutes(p.freezePolicy),
          snapshot_at: p.snapshotAt,
          session_type: p.sessionType,
          inputs_hash: p.inputsHash,
          confidence: p.confidence,
          feature_coverage: p.featureCoverage,
          imputed_count: p.imputedCount,
          status: 'frozen',
          warnings: JSON.stringify(p.warnings),
          weather: p.weather == null ? null : JSON.stringify(p.weather),
          head_to_head: p.headToHead == null ? null : JSON.stringify(p.headToHead),
        })
        .onConflict(['race_id', 'model_version', 'policy_key', 'kind'])
        .ignore()
        .returning('id')) as { id: number }[];
      if (inserted.length === 0) {
        const existing = await this.byKey({ raceId: p.raceId, modelVersion: p.modelVersion, policy: p.freezePolicy, kind: p.kind });
        if (!existing) throw new Error(`prediction for race ${p.raceId} / ${p.modelVersion} conflicted but is not visible`);
        return { prediction: existing, created: false };
      }
      const id = Number(inserted[0]!.id);
      await db('prediction_entries').insert(
        p.entries.map((e) => ({
          prediction_id: id,
          driver_id: e.driverId,
          constructor_id: e.constructorId,
          predicted_position: e.predictedPosition,
          expected_position: e.expectedPosition,
          median_position: e.medianPosition,
          gap_seconds: e.gapSeconds,
          gap_low_seconds: e.gapLowSeconds,
          gap_high_seconds: e.gapHighSeconds,
          gap_flagged: e.gapFlagged,
          p_win: e.pWin,
          p_podium: e.pPodium,
          p_points: e.pPoints,
          p_dnf: e.pDnf,
          feature_coverage: e.featureCoverage,
          imputed_count: e.imputedCount,
          strategy: e.strategy === null ? null : JSON.stringify(e.strategy),
          reasons: e.reasons == null ? null : JSON.stringify(e.reasons),
        })),
      );
      return { prediction: (await this.byId(id))!, created: true };
    },
    async byKey(key) {
      return withEntries(await db('predictions').where(keyed(key)).first());
    },
    async refByKey(key) {
      return toRef(await db('predictions').where(keyed(key)).first('id', 'inputs_hash'));
    },
    async officialRef(raceId, policy) {
      return toRef(await official(raceId, policy).first('id', 'inputs_hash'));
    },
    async official(raceId, policy) {
      return withEntries(await official(raceId, policy).first());
    },
    async officialForRace(raceId) {
      const rows = await db('predictions').where({ race_id: raceId, official: true }).orderBy('id');
      return Promise.all(rows.map(async (r: Record<string, unknown>) => (await withEntries(r))!));
    },
    async officialIdsByRace(raceIds, policy) {
      if (raceIds.length === 0) return new Map();
      const rows = await db('predictions').whereIn('race_id', raceIds).where({ policy_key: policyKey(policy), official: true }).select('race_id', 'id');
      return new Map(rows.map((r: Record<string, unknown>) => [Number(r.race_id), Number(r.id)]));
    },
    async snapshots(raceId) {
      const rows = await db('predictions').where({ race_id: raceId }).orderBy('id');
      return rows.map((r: Record<string, unknown>) => {
        const { entries: _entries, ...rest } = mapPrediction(r, []);
        return rest;
      });
    },
    async byId(id) {
      return withEntries(await db('predictions').where({ id }).first());
    },
    async count(raceId) {
      const q = db('predictions').count<{ n: string | number }[]>('* as n');
      if (raceId !== undefined) q.where({ race_id: raceId });
      return Number((await q)[0]!.n);
    },
    async names(driverIds, constructorIds) {
      const [drivers, constructors] = [
        driverIds.length ? await db('drivers').whereIn('id', [...new Set(driverIds)]).select('id', 'forename', 'surname', 'code') : [],
        constructorIds.length ? await db('constructors').whereIn('id', [...new Set(constructorIds)]).select('id', 'name') : [],
      ];
      return {
        drivers: new Map(drivers.map((d: Record<string, unknown>) => [Number(d.id), { name: `${d.forename} ${d.surname}`, code: (d.code as string | null) ?? null }])),
        constructors: new Map(constructors.map((c: Record<string, unknown>) => [Number(c.id), String(c.name)])),
      };
    },
  };
}
