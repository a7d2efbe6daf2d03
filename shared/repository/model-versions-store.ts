import type { Knex } from 'knex';

export type ModelKind = 'race' | 'pit';

export interface ModelVersion {
  id: number;
  kind: ModelKind;
  version: string;
  trainedAt: Date;
  dataFromSeason: number;
  dataToSeason: number;
  dataSnapshot: string;
  metrics: Record<string, unknown>;
  artifactUri: string;
  codeRevision: string | null;
  trainingRunId: number | null;
}

export type NewModelVersion = Omit<ModelVersion, 'id'>;

export interface TrainingRun {
  id: number;
  kind: ModelKind;
  startedAt: Date;
  finishedAt: Date | null;
  status: 'running' | 'succeeded' | 'failed';
  durationMs: number | null;
  parameters: Record<string, unknown>;
  error: string | null;
  taskIndex: number | null;
  taskAttempt: number | null;
}

/** Model registry (model_versions) and the audit trail of training runs (training_runs). */
export interface ModelVersionsStore {
  register(v: NewModelVersion): Promise<ModelVersion>;
  latest(kind: ModelKind): Promise<ModelVersion | undefined>;
  byVersion(kind: ModelKind, version: string): Promise<ModelVersion | undefined>;
  list(kind: ModelKind, limit?: number): Promise<ModelVersion[]>;
  startRun(kind: ModelKind, parameters: Record<string, unknown>, task?: { index: number; attempt: number }): Promise<TrainingRun>;
  finishRun(id: number, outcome: { error?: string }): Promise<TrainingRun>;
  runById(id: number): Promise<TrainingRun | undefined>;
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

function mapVersion(r: Record<string, unknown>): ModelVersion {
  return {
    id: Number(r.id),
    kind: r.kind as ModelKind,
    version: String(r.version),
    trainedAt: date(r.trained_at),
    dataFromSeason: Number(r.data_from_season),
    dataToSeason: Number(r.data_to_season),
    dataSnapshot: String(r.data_snapshot),
    metrics: (typeof r.metrics === 'string' ? JSON.parse(r.metrics) : r.metrics) as Record<string, unknown>,
    artifactUri: String(r.artifact_uri),
    codeRevision: (r.code_revision as string | null) ?? null,
    trainingRunId: r.training_run_id == null ? null : Number(r.training_run_id),
  };
}

function mapRun(r: Record<string, unknown>): TrainingRun {
  return {
    id: Number(r.id),
    kind: r.kind as ModelKind,
    startedAt: date(r.started_at),
    finishedAt: r.finished_at == null ? null : date(r.finished_at),
    status: r.status as TrainingRun['status'],
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
    parameters: (typeof r.parameters === 'string' ? JSON.parse(r.parameters) : r.parameters) as Record<string, unknown>,
    error: (r.error as string | null) ?? null,
    taskIndex: r.task_index == null ? null : Number(r.task_index),
    taskAttempt: r.task_attempt == null ? null : Number(r.task_attempt),
  };
}

export function createModelVersionsStore(db: Knex | Knex.Transaction): ModelVersionsStore {
  return {
    async register(v) {
      const [row] = await db('model_versions')
        .insert({
          kind: v.kind,
          version: v.version,
          trained_at: v.trainedAt,
          data_from_season: v.dataFromSeason,
          data_to_season: v.dataToSeason,
          data_snapshot: v.dataSnapshot,
          metrics: JSON.stringify(v.metrics),
          artifact_uri: v.artifactUri,
          code_revision: v.codeRevision,
          training_run_id: v.trainingRunId,
        })
        .returning('*');
      return mapVersion(row);
    },
    async latest(kind) {
      const row = await db('model_versions').where({ kind }).orderBy([{ column: 'trained_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
      return row ? mapVersion(row) : undefined;
    },
    async byVersion(kind, version) {
      const row = await db('model_versions').where({ kind, version }).first();
      return row ? mapVersion(row) : undefined;
    },
    async list(kind, limit = 50) {
      return (await db('model_versions').where({ kind }).orderBy('trained_at', 'desc').limit(limit)).map(mapVersion);
    },
    async startRun(kind, parameters, task) {
      const [row] = await db('training_runs')
        .insert({ kind, parameters: JSON.stringify(parameters), task_index: task?.index ?? null, task_attempt: task?.attempt ?? null })
        .returning('*');
      return mapRun(row);
    },
    async finishRun(id, { error }) {
      const [row] = await db('training_runs')
        .where({ id, status: 'running' })
        .update({
          status: error ? 'failed' : 'succeeded',
          error: error ?? null,
          finished_at: db.fn.now(),
          duration_ms: db.raw('greatest(0, round(extract(epoch from (now() - started_at)) * 1000))::integer'),
        })
        .returning('*');
      if (!row) throw new Error(`training run ${id} is not running`);
      return mapRun(row);
    },
    async runById(id) {
      const row = await db('training_runs').where({ id }).first();
      return row ? mapRun(row) : undefined;
    },
  };
}
