import type { Knex } from 'knex';

export type IngestionSource = 'dump' | 'laps' | 'jolpica' | 'openf1' | 'results-sync';

export interface TableCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export interface IngestionRun {
  id: number;
  source: IngestionSource;
  parameters: Record<string, unknown>;
  startedAt: Date;
  finishedAt: Date | null;
  status: 'running' | 'succeeded' | 'failed';
  counts: Record<string, TableCounts>;
  error: string | null;
}

export interface QuarantinedRow {
  runId: number;
  source: string;
  tableName: string;
  raw: unknown;
  reason: string;
}

/** A row a run fixed on purpose (kind 'corrected') or loaded with a warning. */
export interface IngestionNote {
  runId: number;
  kind: 'corrected' | 'warning';
  tableName: string;
  raw: unknown;
  corrected: unknown;
  reason: string;
}

export interface IngestionRunsStore {
  start(source: IngestionSource, parameters: Record<string, unknown>): Promise<IngestionRun>;
  finish(id: number, outcome: { counts: Record<string, TableCounts>; error?: string }): Promise<IngestionRun>;
  quarantine(rows: QuarantinedRow[]): Promise<void>;
  quarantined(runId: number): Promise<QuarantinedRow[]>;
  note(rows: IngestionNote[]): Promise<void>;
  notes(runId: number): Promise<IngestionNote[]>;
  byId(id: number): Promise<IngestionRun | undefined>;
  latest(limit: number): Promise<IngestionRun[]>;
}

function mapRun(row: Record<string, unknown>): IngestionRun {
  return {
    id: Number(row.id),
    source: row.source as IngestionSource,
    parameters: row.parameters as Record<string, unknown>,
    startedAt: new Date(row.started_at as string),
    finishedAt: row.finished_at ? new Date(row.finished_at as string) : null,
    status: row.status as IngestionRun['status'],
    counts: row.counts as Record<string, TableCounts>,
    error: (row.error as string | null) ?? null,
  };
}

export function createIngestionRunsStore(db: Knex | Knex.Transaction): IngestionRunsStore {
  return {
    async start(source, parameters) {
      const [row] = await db('ingestion_runs').insert({ source, parameters: JSON.stringify(parameters) }).returning('*');
      return mapRun(row);
    },
    async finish(id, outcome) {
      const [row] = await db('ingestion_runs')
        .where({ id })
        .update({
          finished_at: db.fn.now(),
          status: outcome.error ? 'failed' : 'succeeded',
          counts: JSON.stringify(outcome.counts),
          error: outcome.error ?? null,
        })
        .returning('*');
      return mapRun(row);
    },
    async quarantine(rows) {
      if (rows.length === 0) return;
      await db.batchInsert(
        'quarantined_rows',
        rows.map((r) => ({
          run_id: r.runId,
          source: r.source,
          table_name: r.tableName,
          raw: JSON.stringify(r.raw),
          reason: r.reason,
        })),
        500,
      );
    },
    async quarantined(runId) {
      const rows = await db('quarantined_rows').where({ run_id: runId }).orderBy('id');
      return rows.map((r) => ({
        runId: Number(r.run_id),
        source: r.source,
        tableName: r.table_name,
        raw: r.raw,
        reason: r.reason,
      }));
    },
    async note(rows) {
      if (rows.length === 0) return;
      await db.batchInsert(
        'ingestion_notes',
        rows.map((r) => ({
          run_id: r.runId,
          kind: r.kind,
          table_name: r.tableName,
          raw: JSON.stringify(r.raw),
          corrected: r.corrected === undefined ? null : JSON.stringify(r.corrected),
          reason: r.reason,
        })),
        500,
      );
    },
    async notes(runId) {
      const rows = await db('ingestion_notes').where({ run_id: runId }).orderBy('id');
      return rows.map((r) => ({
        runId: Number(r.run_id),
        kind: r.kind,
        tableName: r.table_name,
        raw: r.raw,
        corrected: r.corrected ?? null,
        reason: r.reason,
      }));
    },
    async byId(id) {
      const row = await db('ingestion_runs').where({ id }).first();
      return row ? mapRun(row) : undefined;
    },
    async latest(limit) {
      return (await db('ingestion_runs').orderBy('id', 'desc').limit(limit)).map(mapRun);
    },
  };
}
