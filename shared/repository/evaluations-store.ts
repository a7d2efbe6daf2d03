import type { Knex } from 'knex';
import { policyKey, type FreezePolicy } from '../domain/freeze-policy.js';
import type { Evaluation, NewEvaluation, SupersededEvaluation } from '../domain/scoring.js';

export interface EvaluationsStore {
  /**
   * One row per race and prediction: re-evaluation replaces the scores. A score against
   * another classification version than the new one's is kept first, in `history`.
   */
  upsert(e: NewEvaluation): Promise<Evaluation>;
  byPrediction(predictionId: number): Promise<Evaluation | undefined>;
  /** The scores of a prediction that re-scores against newer classification versions replaced, oldest first. */
  history(predictionId: number): Promise<SupersededEvaluation[]>;
  /** The evaluation of every race's official snapshot under a policy over a season, in calendar order. */
  season(season: number, policy: FreezePolicy): Promise<(Evaluation & { round: number; raceName: string })[]>;
  /** Per model version: how many races were evaluated and the mean scores. */
  summaryByModel(): Promise<{ modelVersion: string; races: number; positionMae: number | null; winnerAccuracy: number | null; brierWin: number | null }[]>;
  count(raceId?: number): Promise<number>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const numOrNull = (v: unknown) => (v == null ? null : Number(v));

function mapEvaluation(r: Record<string, unknown>): Evaluation {
  return {
    id: Number(r.id),
    raceId: Number(r.race_id),
    predictionId: Number(r.prediction_id),
    evaluatedAt: new Date(r.evaluated_at as string),
    starters: Number(r.starters),
    positionMae: numOrNull(r.position_mae),
    timeMaeSeconds: numOrNull(r.time_mae_seconds),
    winnerCorrect: Boolean(r.winner_correct),
    podiumAccuracy: numOrNull(r.podium_accuracy),
    top10Accuracy: numOrNull(r.top10_accuracy),
    spearman: numOrNull(r.spearman),
    brier: json(r.brier),
    logLoss: json(r.log_loss),
    calibrationError: json(r.calibration_error),
    intervalCoverage: numOrNull(r.interval_coverage),
    baseline: json(r.baseline),
    resultVersion: r.result_version == null ? null : Number(r.result_version),
  };
}

/** NaN is not JSON and not a useful score: store it as null. */
const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
const finiteRecord = <T extends Record<string, number | null>>(r: T) =>
  JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, finite(v)])));

export function createEvaluationsStore(db: Knex | Knex.Transaction): EvaluationsStore {
  return {
    async upsert(e) {
      const resultVersion = e.resultVersion ?? null;
      const row = {
        race_id: e.raceId,
        prediction_id: e.predictionId,
        evaluated_at: e.evaluatedAt ?? new Date(),
        starters: e.starters,
        position_mae: finite(e.positionMae),
        time_mae_seconds: finite(e.timeMaeSeconds),
        winner_correct: e.winnerCorrect,
        podium_accuracy: finite(e.podiumAccuracy),
        top10_accuracy: finite(e.top10Accuracy),
        spearman: finite(e.spearman),
        brier: finiteRecord(e.brier),
        log_loss: finiteRecord(e.logLoss),
        calibration_error: finiteRecord(e.calibrationError),
        interval_coverage: finite(e.intervalCoverage),
        baseline: JSON.stringify({
          ...e.baseline,
          positionMae: finite(e.baseline.positionMae),
          podiumAccuracy: finite(e.baseline.podiumAccuracy),
          top10Accuracy: finite(e.baseline.top10Accuracy),
          spearman: finite(e.baseline.spearman),
        }),
        result_version: resultVersion,
      };
      // One transaction (a savepoint inside the caller's): the kept old score and the new one.
      return db.transaction(async (trx) => {
        const old = await trx('evaluations').where({ race_id: e.raceId, prediction_id: e.predictionId }).forUpdate().first();
        if (old && (old.result_version ?? null) !== resultVersion) {
          const kept = mapEvaluation(old);
          await trx('evaluation_history').insert({
            evaluation_id: kept.id, race_id: kept.raceId, prediction_id: kept.predictionId, result_version: kept.resultVersion,
            superseded_at: row.evaluated_at, evaluation: JSON.stringify(kept),
          });
        }
        const [saved] = await trx('evaluations').insert(row).onConflict(['race_id', 'prediction_id']).merge().returning('*');
        return mapEvaluation(saved);
      });
    },
    async history(predictionId) {
      const rows = await db('evaluation_history').where({ prediction_id: predictionId }).orderBy('id');
      return rows.map((r: Record<string, unknown>) => {
        const e = json(r.evaluation) as Evaluation;
        return { ...e, evaluatedAt: new Date(e.evaluatedAt), supersededAt: new Date(r.superseded_at as string) };
      });
    },
    async byPrediction(predictionId) {
      const row = await db('evaluations').where({ prediction_id: predictionId }).first();
      return row ? mapEvaluation(row) : undefined;
    },
    async season(season, policy) {
      // Only official snapshots are ever evaluated (the database refuses others), one per race and policy.
      const rows = await db('evaluations as e')
        .join('races as r', 'r.id', 'e.race_id')
        .join('predictions as p', 'p.id', 'e.prediction_id')
        .where({ 'r.season': season, 'p.official': true, 'p.policy_key': policyKey(policy) })
        .select('e.*', 'r.round', 'r.name as race_name')
        .orderBy('r.round');
      return rows.map((r: Record<string, unknown>) => ({ ...mapEvaluation(r), round: Number(r.round), raceName: String(r.race_name) }));
    },
    async summaryByModel() {
      const rows = await db('evaluations as e')
        .join('predictions as p', 'p.id', 'e.prediction_id')
        .groupBy('p.model_version')
        .select('p.model_version')
        .count('* as races')
        .avg('e.position_mae as position_mae')
        .select(db.raw('avg(CASE WHEN e.winner_correct THEN 1.0 ELSE 0.0 END) as winner_accuracy'))
        .select(db.raw(`avg((e.brier->>'win')::double precision) as brier_win`));
      return rows.map((r: Record<string, unknown>) => ({
        modelVersion: String(r.model_version),
        races: Number(r.races),
        positionMae: numOrNull(r.position_mae),
        winnerAccuracy: numOrNull(r.winner_accuracy),
        brierWin: numOrNull(r.brier_win),
      }));
    },
    async count(raceId) {
      const q = db('evaluations').count<{ n: string | number }[]>('* as n');
      if (raceId !== undefined) q.where({ race_id: raceId });
      return Number((await q)[0]!.n);
    },
  };
}
