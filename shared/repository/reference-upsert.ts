import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import copyStreams from 'pg-copy-streams';

/**
 * Natural-key upserts that report what they did. One statement per table and batch:
 *
 *   INSERT ... ON CONFLICT (natural key) DO UPDATE SET ... WHERE (old) IS DISTINCT FROM (new)
 *   RETURNING (xmax = 0)  -- true for a fresh insert
 *
 * Rows the WHERE filters out are unchanged. On node-postgres the rows are first streamed
 * with COPY into a temporary staging table (ON COMMIT DROP, so it must run inside a
 * transaction); on PGlite, which has no COPY FROM STDIN over knex, multi-row VALUES
 * statements are used.
 */

export interface UpsertSpec {
  table: string;
  /** Columns of the natural key (or `constraint` when it is a named NULLS NOT DISTINCT one). */
  key: string[];
  constraint?: string;
  /**
   * 'replace': the new row wins. 'merge': a null in the new row keeps the stored value, and
   * the text[] `sources` column is unioned (rows assembled from several sources: laps).
   */
  mode: 'replace' | 'merge';
  /** Update only where the stored value is null (e.g. ergast_id once known is kept). */
  keepExisting?: string[];
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

type Row = Record<string, unknown>;

/** Rows per COPY; below this, VALUES statements are as fast and simpler. */
const COPY_THRESHOLD = 200;
const MAX_PARAMETERS = 30_000;

export async function upsertRows(db: Knex | Knex.Transaction, spec: UpsertSpec, rows: Row[], columns: string[]): Promise<UpsertCounts> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const usePgCopy = isNodePostgres(db) && rows.length >= COPY_THRESHOLD && db.isTransaction;
  let inserted = 0;
  let updated = 0;
  if (usePgCopy) {
    const stage = `stage_${spec.table}`;
    await db.raw(`CREATE TEMP TABLE ${stage} ON COMMIT DROP AS SELECT ${columns.join(', ')} FROM ${spec.table} WITH NO DATA`);
    await copyInto(db as Knex.Transaction, stage, columns, rows);
    const r = await db.raw(upsertSql(spec, columns, `SELECT ${columns.join(', ')} FROM ${stage}`));
    await db.raw(`DROP TABLE ${stage}`);
    ({ inserted, updated } = counts(r));
  } else {
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const values = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      const bindings = chunk.flatMap((row) => columns.map((c) => binding(row[c])));
      const r = await db.raw(upsertSql(spec, columns, `VALUES ${values}`), bindings as Knex.RawBinding[]);
      const c = counts(r);
      inserted += c.inserted;
      updated += c.updated;
    }
  }
  return { inserted, updated, unchanged: rows.length - inserted - updated };
}

function upsertSql(spec: UpsertSpec, columns: string[], source: string): string {
  const t = spec.table;
  const nonKey = columns.filter((c) => !spec.key.includes(c));
  const newValue = (c: string): string => {
    if (c === 'sources' && spec.mode === 'merge') {
      return `ARRAY(SELECT DISTINCT s FROM unnest(${t}.sources || EXCLUDED.sources) AS s ORDER BY s)`;
    }
    if (spec.mode === 'merge' || spec.keepExisting?.includes(c)) {
      return spec.keepExisting?.includes(c) ? `COALESCE(${t}.${c}, EXCLUDED.${c})` : `COALESCE(EXCLUDED.${c}, ${t}.${c})`;
    }
    return `EXCLUDED.${c}`;
  };
  const conflict = spec.constraint ? `ON CONSTRAINT ${spec.constraint}` : `(${spec.key.join(', ')})`;
  const action =
    nonKey.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${nonKey.map((c) => `${c} = ${newValue(c)}`).join(', ')}
         WHERE (${nonKey.map((c) => `${t}.${c}`).join(', ')}) IS DISTINCT FROM (${nonKey.map(newValue).join(', ')})`;
  // A one-element row constructor is not a row in SQL: compare scalars then.
  const fixed = nonKey.length === 1 ? action.replace(/WHERE \((.*)\) IS DISTINCT FROM \((.*)\)$/s, 'WHERE $1 IS DISTINCT FROM $2') : action;
  return `WITH up AS (
      INSERT INTO ${t} AS ${t} (${columns.join(', ')}) ${source}
      ON CONFLICT ${conflict} ${fixed}
      RETURNING (xmax = 0) AS fresh
    )
    SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) FILTER (WHERE NOT fresh) AS updated FROM up`;
}

function counts(result: unknown): { inserted: number; updated: number } {
  const row = (result as { rows: Row[] }).rows[0] ?? {};
  return { inserted: Number(row.inserted ?? 0), updated: Number(row.updated ?? 0) };
}

function binding(v: unknown): unknown {
  if (v === undefined) return null;
  if (Array.isArray(v)) return `{${v.join(',')}}`;
  return v;
}

export function isNodePostgres(db: Knex | Knex.Transaction): boolean {
  const client = (db as unknown as { client: { config?: { client?: unknown } } }).client;
  return client.config?.client === 'pg';
}

/** COPY ... FROM STDIN on the transaction's own connection (text format). */
async function copyInto(trx: Knex.Transaction, table: string, columns: string[], rows: Row[]): Promise<void> {
  const client = trx.client as unknown as { acquireConnection(): Promise<{ query(s: unknown): NodeJS.WritableStream }> };
  const conn = await client.acquireConnection();
  const sink = conn.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  function* lines(): Generator<string> {
    let buf = '';
    for (const row of rows) {
      buf += columns.map((c) => copyText(row[c])).join('\t') + '\n';
      if (buf.length > 65_536) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  await pipeline(Readable.from(lines()), sink);
}

function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Array.isArray(v)) return `{${v.join(',')}}`;
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
