import fs from 'node:fs';
import path from 'node:path';

/**
 * Settings the tests read, from the environment of the test process (the test edge).
 * On CI (CI=true) a missing prerequisite fails the test; elsewhere it is skipped with a
 * message naming the setting.
 */
export const onCi = process.env.CI === 'true' || process.env.CI === '1';

export const dataDir = path.resolve(process.env.F1_DATA_DIR ?? path.join(import.meta.dirname, '../../../shared/data'));
export const dataAvailable = fs.existsSync(path.join(dataDir, 'ergast', 'races.csv'));

/** An admin URL on a PostgreSQL server where tests may create scratch databases. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

export function requireData(): { skip: boolean; reason: string } {
  if (dataAvailable) return { skip: false, reason: '' };
  const reason = `real F1 data not found at ${dataDir}: set F1_DATA_DIR to the shared/data folder`;
  if (onCi) throw new Error(reason);
  return { skip: true, reason };
}

export function requirePostgres(): { skip: boolean; reason: string } {
  if (testDatabaseUrl) return { skip: false, reason: '' };
  const reason = 'TEST_DATABASE_URL is not set: PostgreSQL tests skipped (e.g. postgres://postgres@127.0.0.1:5432/postgres)';
  if (onCi) throw new Error(reason);
  return { skip: true, reason };
}
