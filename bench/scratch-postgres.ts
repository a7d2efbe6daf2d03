// What the model benchmarks share: a scratch PostgreSQL database with the real Ergast dump
// ingested (dropped afterwards, however the run ends) and a peak-RSS sampler.
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { migrateLatest } from '../shared/db/migrate.js';
import { openPostgres } from '../shared/db/postgres.js';
import { ingestFiles } from '../shared/ingest/ingest.js';
import { silentLogger } from '../shared/log/logger.js';
import { createRepository, type Repository } from '../shared/repository/index.js';

/**
 * Runs `fn` on a new, migrated database `pitwall_bench_<label>_…` (a pool of `poolMax`), given
 * with its URL; the database is dropped afterwards, however `fn` ends.
 */
export async function withScratchPostgres<T>(
  adminUrl: string,
  label: string,
  poolMax: number,
  fn: (db: { knex: Knex; url: string }) => Promise<T>,
): Promise<T> {
  const name = `pitwall_bench_${label}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const knex = openPostgres(url.toString(), poolMax);
  try {
    await migrateLatest(knex);
    return await fn({ knex, url: url.toString() });
  } finally {
    await knex.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Runs `fn` on a scratch database holding the dump of `dataDir/ergast`; `ingestSeconds` is not part of any figure. */
export async function withIngestedPostgres<T>(
  adminUrl: string,
  label: string,
  dataDir: string,
  fn: (db: { knex: Knex; repo: Repository; ingestSeconds: number }) => Promise<T>,
): Promise<T> {
  return withScratchPostgres(adminUrl, label, 4, async ({ knex }) => {
    const repo = createRepository(knex);
    const t = performance.now();
    await ingestFiles({ repo, logger: silentLogger }, { dump: path.join(dataDir, 'ergast') });
    return fn({ knex, repo, ingestSeconds: (performance.now() - t) / 1000 });
  });
}

/** Samples the process's resident set every 50 ms; `reset` starts a new peak from now. */
export function peakRssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    reset: () => void (peak = process.memoryUsage().rss),
    peak: () => Math.max(peak, process.memoryUsage().rss),
    stop: () => clearInterval(timer),
  };
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
