// Benchmark of ingestion: all of shared/data (Ergast dump + every lap file) into PGlite
// and into PostgreSQL, first load and an unchanged re-run, with wall time and rows/s per
// table; in the same run `psql \copy` of the same Ergast CSVs into a scratch schema as
// the physical-limit reference; first, the CSV reader's time at 1 MB and 20 MB (it must be
// linear). Usage: npm run bench:ingest [-- --csv-only]
//   env: F1_DATA_DIR (default ../shared/data), BENCH_DATABASE_URL (an admin URL on the
//   PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { openPglite } from '../../shared/db/pglite.js';
import { dumpTables } from '../../shared/ingest/dump/dump-layout.js';
import { readDelimited } from '../../shared/ingest/csv.js';
import { ingestFiles, type IngestOutcome } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import type { Knex } from 'knex';
import { bestOfMs } from '../best-of.js';
import { withScratchPostgres } from '../scratch-postgres.js';

const env = readEnvironment(process.env);
const config = parseConfig(env);
const adminUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dumpDir = path.join(config.dataDir, 'ergast');
const lapsDir = path.join(config.dataDir, 'laps');
const sessions = path.join(config.dataDir, 'api-replay', 'openf1', 'POSTED26-F1-Data', 'sessions.json');

interface Pass {
  label: string;
  wallMs: number;
  dumpMs: number;
  lapsMs: number;
  outcome: IngestOutcome;
  timings: Record<string, number>;
}

async function pass(knex: Knex, label: string): Promise<Pass> {
  const timings: Record<string, number> = {};
  const deps = { repo: createRepository(knex), logger: silentLogger, timings };
  const t0 = performance.now();
  const dump = await ingestFiles(deps, { dump: dumpDir });
  const t1 = performance.now();
  const laps = await ingestFiles(deps, { laps: lapsDir, ...(fs.existsSync(sessions) ? { openf1Sessions: sessions } : {}) });
  const t2 = performance.now();
  return { label, wallMs: t2 - t0, dumpMs: t1 - t0, lapsMs: t2 - t1, outcome: { runs: [...dump.runs, ...laps.runs] }, timings };
}

function report(p: Pass): void {
  console.log(`\n${p.label}: wall ${(p.wallMs / 1000).toFixed(2)} s (dump ${(p.dumpMs / 1000).toFixed(2)} s incl. read+validate, lap files ${(p.lapsMs / 1000).toFixed(2)} s)`);
  console.log('  table                   read  inserted   updated unchanged quarant.  write ms    rows/s');
  for (const run of p.outcome.runs) {
    for (const [table, c] of Object.entries(run.tables)) {
      const ms = p.timings[table] ?? 0;
      const written = c.inserted + c.updated + c.unchanged;
      const rate = ms > 0 ? Math.round((written / ms) * 1000) : 0;
      console.log(
        `  ${table.padEnd(22)}${String(c.read).padStart(7)}${String(c.inserted).padStart(10)}${String(c.updated).padStart(10)}${String(c.unchanged).padStart(10)}${String(c.quarantined).padStart(9)}${ms.toFixed(0).padStart(10)}${String(rate).padStart(10)}`,
      );
    }
  }
}

async function benchPglite(): Promise<Pass[]> {
  const { knex } = await openPglite(undefined);
  try {
    await migrateLatest(knex);
    return [await pass(knex, 'PGlite (in memory), first load'), await pass(knex, 'PGlite, re-run with no changes')];
  } finally {
    await knex.destroy();
  }
}

/** psql \copy of the same Ergast CSVs into a scratch schema (text columns, no keys): the physical limit. */
function copyReference(url: string): { ms: number; rows: number } {
  const files = fs.readdirSync(dumpDir).filter((f) => f.endsWith('.csv')).sort();
  const lines = ['DROP SCHEMA IF EXISTS copy_ref CASCADE;', 'CREATE SCHEMA copy_ref;'];
  let rows = 0;
  for (const f of files) {
    const header = fs.readFileSync(path.join(dumpDir, f), 'utf8').split('\n', 1)[0]!.replace(/"/g, '').split(',');
    const table = `copy_ref.${f.replace(/\.csv$/, '')}`;
    lines.push(`CREATE TABLE ${table} (${header.map((c) => `"${c}" text`).join(', ')});`);
    rows += fs.readFileSync(path.join(dumpDir, f), 'utf8').trimEnd().split('\n').length - 1;
  }
  execFileSync('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', lines.join('\n')], { env: { ...process.env, PGOPTIONS: '--client-min-messages=warning' } });
  const script = files
    .map((f) => `\\copy copy_ref.${f.replace(/\.csv$/, '')} FROM '${path.join(dumpDir, f)}' WITH (FORMAT csv, HEADER true, NULL '\\N')`)
    .join('\n');
  const scriptFile = path.join(fs.mkdtempSync('/tmp/pitwall-copy-'), 'copy.sql');
  fs.writeFileSync(scriptFile, script);
  const t0 = performance.now();
  execFileSync('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-f', scriptFile]);
  return { ms: performance.now() - t0, rows };
}

async function benchPostgres(): Promise<{ passes: Pass[]; copies: { ms: number; rows: number }[] }> {
  return withScratchPostgres(adminUrl, 'ingest', 5, async ({ knex, url }) => {
    // The machine may be shared: time the reference right before and right after the load.
    const before = copyReference(url);
    const passes = [await pass(knex, 'PostgreSQL, first load')];
    const after = copyReference(url);
    passes.push(await pass(knex, 'PostgreSQL, re-run with no changes'));
    return { passes, copies: [before, after] };
  });
}

/**
 * The CSV reader at 1 MB and 20 MB of the real results.csv repeated (quotes on every line),
 * and the same with a stray quote after the header (the rest of the file in one field: the
 * old reader took 14 s at 1 MB there). Linear: the 20 MB time is about 20x the 1 MB one.
 */
function csvLinearity(): void {
  const source = fs.readFileSync(path.join(dumpDir, 'results.csv'), 'utf8');
  const header = source.slice(0, source.indexOf('\n') + 1);
  const rows = source.slice(header.length);
  const make = (mb: number, stray: boolean) => {
    const body = rows.repeat(Math.ceil((mb * 1024 * 1024) / rows.length)).slice(0, mb * 1024 * 1024);
    return header + (stray ? `"${body}` : body);
  };
  const best = (text: string) => bestOfMs(3, () => readDelimited(text));
  console.log('CSV reader (best of 3)        1 MB      20 MB   20 MB / 1 MB (linear: ~20)');
  for (const [label, stray] of [['quoted fields (results.csv)', false], ['a stray quote after the header', true]] as const) {
    best(make(2, stray)); // warm-up: the first parses include compiling the reader
    const one = best(make(1, stray));
    const twenty = best(make(20, stray));
    console.log(`  ${label.padEnd(30)}${one.toFixed(0).padStart(6)} ms${twenty.toFixed(0).padStart(8)} ms${(twenty / one).toFixed(1).padStart(10)}x`);
  }
}

csvLinearity();
if (process.argv.includes('--csv-only')) process.exit(0);

const pgResult = await benchPostgres();
for (const p of pgResult.passes) report(p);
const refMs = pgResult.copies.reduce((s, c) => s + c.ms, 0) / pgResult.copies.length;
const refRows = pgResult.copies[0]!.rows;
const first = pgResult.passes[0]!;
// The real dump's 13 tables (it has no lap_times.csv).
const dumpWriteMs = dumpTables.filter((t) => t !== 'lap_times').reduce((s, t) => s + (first.timings[t] ?? 0), 0);
console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
console.log(`Reference: psql \\copy of the ${refRows} Ergast CSV rows into a scratch schema (text columns, no keys): ${pgResult.copies.map((c) => (c.ms / 1000).toFixed(2)).join(' s before, ')} s after the load (${Math.round((refRows / refMs) * 1000)} rows/s)`);
console.log(`PostgreSQL dump load end to end (read + zod + upserts) / \\copy = ${(first.dumpMs / refMs).toFixed(2)}x; upserts only (${(dumpWriteMs / 1000).toFixed(2)} s) / \\copy = ${(dumpWriteMs / refMs).toFixed(2)}x (goal <= 1.5x)`);
console.log(`PostgreSQL re-run with no changes (dump + laps): ${(pgResult.passes[1]!.wallMs / 1000).toFixed(2)} s (goal < 10 s)`);

const pglite = await benchPglite();
for (const p of pglite) report(p);
