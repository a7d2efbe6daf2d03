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

/** A row of an input a run recorded, with why: what quarantined rows and notes have in common. */
export interface RunRow {
  runId: number;
  tableName: string;
  raw: unknown;
  reason: string;
}

export interface QuarantinedRow extends RunRow {
  source: string;
}

/** A row a run fixed on purpose (kind 'corrected') or loaded with a warning. */
export interface IngestionNote extends RunRow {
  kind: 'corrected' | 'warning';
  corrected: unknown;
}

/** A run found 'running' whose process stopped beating, marked failed by a later run. */
export interface DeadRun {
  id: number;
  /** Quarantined rows and notes it had recorded, removed so a re-run records them once. */
  droppedRows: number;
}

export interface IngestionRunsStore {
  /**
   * Marks failed every run still 'running' whose heartbeat is older than `staleSeconds`
   * (its process died: killed, out of memory, timed out) and removes its quarantined rows
   * and notes, so a re-run of the same input does not record them twice.
   */
  reapDead(staleSeconds: number): Promise<DeadRun[]>;
  /** A running run says it is alive (see reapDead). */
  heartbeat(id: number): Promise<void>;
  start(source: IngestionSource, parameters: Record<string, unknown>): Promise<IngestionRun>;
  finish(id: number, outcome: { counts: Record<string, TableCounts>; error?: string }): Promise<IngestionRun>;
  quarantine(rows: QuarantinedRow[]): Promise<void>;
  quarantined(runId: number): Promise<QuarantinedRow[]>;
  note(rows: IngestionNote[]): Promise<void>;
  notes(runId: number): Promise<IngestionNote[]>;
  byId(id: number): Promise<IngestionRun | undefined>;
  /** The newest `limit` runs, newest first; with `beforeId`, those older than that run (the next page). */
  latest(limit: number, beforeId?: number): Promise<IngestionRun[]>;
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

/**
 * PostgreSQL text and jsonb cannot hold U+0000: a quarantined row is often quarantined
 * precisely for one, so it is stored with the NUL spelled out as the six characters \u0000.
 */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
}
function storableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storable(v) : v)) ?? 'null';
}

/** quarantined_rows and ingestion_notes: the columns of a RunRow, written and read the same way. */
type RunRowTable = 'quarantined_rows' | 'ingestion_notes';

function runRowColumns(r: RunRow): Record<string, unknown> {
  return { run_id: r.runId, table_name: r.tableName, raw: storableJson(r.raw), reason: storable(r.reason) };
}

function runRowOf(row: Record<string, unknown>): RunRow {
  return { runId: Number(row.run_id), tableName: row.table_name as string, raw: row.raw, reason: row.reason as string };
}

async function insertRunRows(db: Knex | Knex.Transaction, table: RunRowTable, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length > 0) await db.batchInsert(table, rows, 500);
}

async function runRowsOf(db: Knex | Knex.Transaction, table: RunRowTable, runId: number): Promise<Record<string, unknown>[]> {
  return db(table).where({ run_id: runId }).orderBy('id');
}

export function createIngestionRunsStore(db: Knex | Knex.Transaction): IngestionRunsStore {
  return {
    async reapDead(staleSeconds) {
      const r = await db.raw(
        `WITH dead AS (
           UPDATE ingestion_runs
              SET status = 'failed', finished_at = greatest(now(), started_at),
                  error = 'the process running it stopped (no heartbeat since ' || heartbeat_at || '); marked failed by a later run, '
                    || 'its quarantined rows removed so the re-run records them once'
            WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => ?)
            RETURNING id
         ), q AS (
           DELETE FROM quarantined_rows USING dead WHERE quarantined_rows.run_id = dead.id RETURNING run_id
         ), n AS (
           DELETE FROM ingestion_notes USING dead WHERE ingestion_notes.run_id = dead.id RETURNING run_id
         )
         SELECT dead.id,
                (SELECT count(*) FROM q WHERE q.run_id = dead.id) + (SELECT count(*) FROM n WHERE n.run_id = dead.id) AS dropped
           FROM dead ORDER BY dead.id`,
        [staleSeconds],
      );
      return (r.rows as { id: number; dropped: string | number }[]).map((x) => ({ id: Number(x.id), droppedRows: Number(x.dropped) }));
    },
    async heartbeat(id) {
      await db('ingestion_runs').where({ id, status: 'running' }).update({ heartbeat_at: db.fn.now() });
    },
    async start(source, parameters) {
      const [row] = await db('ingestion_runs').insert({ source, parameters: storableJson(parameters) }).returning('*');
      return mapRun(row);
    },
    async finish(id, outcome) {
      const [row] = await db('ingestion_runs')
        .where({ id })
        .update({
          finished_at: db.fn.now(),
          status: outcome.error ? 'failed' : 'succeeded',
          counts: JSON.stringify(outcome.counts),
          error: outcome.error === undefined ? null : storable(outcome.error),
        })
        .returning('*');
      return mapRun(row);
    },
    async quarantine(rows) {
      await insertRunRows(db, 'quarantined_rows', rows.map((r) => ({ ...runRowColumns(r), source: r.source })));
    },
    async quarantined(runId) {
      const rows = await runRowsOf(db, 'quarantined_rows', runId);
      return rows.map((r) => ({ ...runRowOf(r), source: r.source as string }));
    },
    async note(rows) {
      await insertRunRows(
        db,
        'ingestion_notes',
        rows.map((r) => ({ ...runRowColumns(r), kind: r.kind, corrected: r.corrected === undefined ? null : storableJson(r.corrected) })),
      );
    },
    async notes(runId) {
      const rows = await runRowsOf(db, 'ingestion_notes', runId);
      return rows.map((r) => ({ ...runRowOf(r), kind: r.kind as IngestionNote['kind'], corrected: r.corrected ?? null }));
    },
    async byId(id) {
      const row = await db('ingestion_runs').where({ id }).first();
      return row ? mapRun(row) : undefined;
    },
    async latest(limit, beforeId) {
      const q = db('ingestion_runs').orderBy('id', 'desc').limit(limit);
      if (beforeId !== undefined) q.where('id', '<', beforeId);
      return (await q).map(mapRun);
    },
  };
}
