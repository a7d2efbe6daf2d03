import type { IngestionNote, IngestionRun, IngestionRunsStore, QuarantinedRow } from '../ingestion-runs-store.js';
import type { ModelVersion, ModelVersionsStore, TrainingRun } from '../model-versions-store.js';
import { ConstraintError, copy, jsonb, type Row, type Session } from './tables.js';

/** Audit trails in memory: ingestion runs (with quarantine and notes) and model training. */

export function createMemoryIngestionRunsStore(s: Session): IngestionRunsStore {
  const t = s.tables;
  const runOf = (r: Row): IngestionRun => copy(r.run as IngestionRun);
  const running = (id: number) => {
    const r = t.get('ingestion_runs', id);
    return r && (r.run as IngestionRun).status === 'running' ? r : undefined;
  };
  return {
    async reapDead(staleSeconds) {
      const cutoff = s.now().getTime() - staleSeconds * 1000;
      const dead = t.rows('ingestion_runs').filter((r) => (r.run as IngestionRun).status === 'running' && (r.heartbeatAt as Date).getTime() < cutoff);
      return dead.map((r) => {
        const run = r.run as IngestionRun;
        const error = `the process running it stopped (no heartbeat since ${(r.heartbeatAt as Date).toISOString()}); marked failed by a later run, its quarantined rows removed so the re-run records them once`;
        const finishedAt = new Date(Math.max(s.now().getTime(), run.startedAt.getTime()));
        s.write('ingestion_runs', run.id, { ...r, run: { ...run, status: 'failed', finishedAt, error } });
        let droppedRows = 0;
        for (const table of ['quarantined_rows', 'ingestion_notes']) {
          for (const row of t.rows(table).filter((x) => x.runId === run.id)) {
            s.delete(table, row.id as number);
            droppedRows++;
          }
        }
        return { id: run.id, droppedRows };
      });
    },
    async heartbeat(id) {
      const r = running(id);
      if (r) s.write('ingestion_runs', id, { ...r, heartbeatAt: s.now() });
    },
    async start(source, parameters) {
      const id = t.nextId('ingestion_runs');
      const run: IngestionRun = { id, source, parameters: jsonb(parameters), startedAt: s.now(), finishedAt: null, status: 'running', counts: {}, error: null };
      s.write('ingestion_runs', id, { run, heartbeatAt: run.startedAt });
      return copy(run);
    },
    async finish(id, outcome) {
      const r = t.get('ingestion_runs', id);
      if (!r) throw new Error(`ingestion run ${id} does not exist`);
      const run: IngestionRun = {
        ...(r.run as IngestionRun), finishedAt: s.now(), status: outcome.error ? 'failed' : 'succeeded', counts: jsonb(outcome.counts), error: outcome.error ?? null,
      };
      s.write('ingestion_runs', id, { ...r, run });
      return copy(run);
    },
    async quarantine(rows) {
      for (const q of rows) {
        if (!q.reason) throw new ConstraintError('quarantined_rows.reason must not be empty', '23514');
        if (!t.get('ingestion_runs', q.runId)) throw new ConstraintError(`ingestion run ${q.runId} does not exist`, '23503');
        const id = t.nextId('quarantined_rows');
        s.write('quarantined_rows', id, { id, runId: q.runId, row: { ...q, raw: jsonb(q.raw) } satisfies QuarantinedRow });
      }
    },
    async quarantined(runId) {
      return t.rows('quarantined_rows').filter((r) => r.runId === runId).map((r) => copy(r.row as QuarantinedRow));
    },
    async note(rows) {
      for (const n of rows) {
        if (!n.reason) throw new ConstraintError('ingestion_notes.reason must not be empty', '23514');
        if (!t.get('ingestion_runs', n.runId)) throw new ConstraintError(`ingestion run ${n.runId} does not exist`, '23503');
        const id = t.nextId('ingestion_notes');
        const row: IngestionNote = { ...n, raw: jsonb(n.raw), corrected: n.corrected === undefined ? null : jsonb(n.corrected) };
        s.write('ingestion_notes', id, { id, runId: n.runId, row });
      }
    },
    async notes(runId) {
      return t.rows('ingestion_notes').filter((r) => r.runId === runId).map((r) => copy(r.row as IngestionNote));
    },
    async byId(id) {
      const r = t.get('ingestion_runs', id);
      return r ? runOf(r) : undefined;
    },
    async latest(limit, beforeId) {
      return t.rows('ingestion_runs').map(runOf).filter((r) => beforeId === undefined || r.id < beforeId).sort((a, b) => b.id - a.id).slice(0, limit);
    },
  };
}

/**
 * The instant through which a version has seen data (migrations/006's trigger): the end of
 * its last training season, or the start of the last race its pool learnt, whichever is later.
 */
export function dataThrough(v: Pick<ModelVersion, 'dataToSeason' | 'metrics'>): Date {
  const seasonEnd = Date.UTC(v.dataToSeason, 11, 31, 23, 59, 59);
  const pool = (v.metrics as { pool?: { learntThrough?: { raceStart?: string } } }).pool?.learntThrough?.raceStart;
  return new Date(pool ? Math.max(seasonEnd, new Date(pool).getTime()) : seasonEnd);
}

export function createMemoryModelVersionsStore(s: Session): ModelVersionsStore {
  const t = s.tables;
  const versions = (kind: string) =>
    t.rows('model_versions').map((r) => r.version as ModelVersion).filter((v) => v.kind === kind)
      .sort((a, b) => b.trainedAt.getTime() - a.trainedAt.getTime() || b.id - a.id);
  return {
    async register(v) {
      if (!v.version) throw new ConstraintError('model_versions.version must not be empty', '23514');
      if (!v.artifactUri) throw new ConstraintError('model_versions.artifact_uri must not be empty', '23514');
      if (v.dataFromSeason > v.dataToSeason) throw new ConstraintError('model_versions: data_from_season <= data_to_season', '23514');
      if (versions(v.kind).some((x) => x.version === v.version)) {
        throw new ConstraintError(`duplicate key value violates unique constraint "model_versions_kind_version_key": (${v.kind}, ${v.version})`, '23505');
      }
      if (v.trainingRunId !== null && !t.get('training_runs', v.trainingRunId)) throw new ConstraintError(`training run ${v.trainingRunId} does not exist`, '23503');
      const id = t.nextId('model_versions');
      const version: ModelVersion = { ...v, id, metrics: jsonb(v.metrics) };
      s.write('model_versions', id, { version, dataThrough: dataThrough(version) });
      return copy(version);
    },
    async latest(kind) {
      const v = versions(kind)[0];
      return v ? copy(v) : undefined;
    },
    async byVersion(kind, version) {
      const v = versions(kind).find((x) => x.version === version);
      return v ? copy(v) : undefined;
    },
    async list(kind, limit = 50) {
      return versions(kind).slice(0, limit).map(copy);
    },
    async startRun(kind, parameters, task) {
      const id = t.nextId('training_runs');
      const run: TrainingRun = {
        id, kind, startedAt: s.now(), finishedAt: null, status: 'running', durationMs: null, parameters: jsonb(parameters), error: null,
        taskIndex: task?.index ?? null, taskAttempt: task?.attempt ?? null,
      };
      s.write('training_runs', id, run as unknown as Row);
      return copy(run);
    },
    async finishRun(id, { error }) {
      const r = t.get('training_runs', id) as TrainingRun | undefined;
      if (!r || r.status !== 'running') throw new Error(`training run ${id} is not running`);
      const finishedAt = s.now();
      const run: TrainingRun = {
        ...r, status: error ? 'failed' : 'succeeded', error: error ?? null, finishedAt, durationMs: Math.max(0, Math.round(finishedAt.getTime() - r.startedAt.getTime())),
      };
      s.write('training_runs', id, run as unknown as Row);
      return copy(run);
    },
    async runById(id) {
      const r = t.get('training_runs', id);
      return r ? copy(r as unknown as TrainingRun) : undefined;
    },
  };
}
