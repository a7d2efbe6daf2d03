import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onCi } from '../helpers/settings.js';
import { cliBuilt, cliPath, rawLines, runCli } from './run-cli.js';

if (onCi && !cliBuilt) throw new Error(`${cliPath} is missing: npm run build first`);

/**
 * Issue 12: a command missing a setting printed its message and then hung until killed.
 * Each run here is a real process with a deadline: it must end by itself, promptly, with
 * a non-zero code, the message, and nothing but JSON log lines on stderr.
 */
describe.skipIf(!cliBuilt)('the CLI exits when a setting is missing', () => {
  let cwd: string;
  beforeEach(async () => {
    // An empty folder: no .env, a fresh embedded database under data/, no dump beside it.
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-cli-exit-'));
  });
  afterEach(async () => {
    await fs.rm(cwd, { recursive: true, force: true });
  });

  const expectPromptFailure = async (args: string[], env: Record<string, string>, message: RegExp, o: { code?: number; withinMs?: number } = {}) => {
    const run = await runCli(args, { cwd, env: { F1_DATA_DIR: path.join(cwd, 'no-data'), ...env } });
    expect(run.timedOut, `pitwall ${args.join(' ')} was still running after ${run.ms} ms; stderr:\n${run.stderr}`).toBe(false);
    expect(run.code).toBe(o.code ?? 2);
    expect(run.stderr).toMatch(message);
    expect(rawLines(run.stderr)).toEqual([]);
    expect(run.ms).toBeLessThan(o.withinMs ?? 20_000);
    return run;
  };

  it('schedule without FUNCTIONS_BASE_URL, run after run (it hung 6 times in 7)', async () => {
    // The embedded database exists from an earlier run, as on the user's machine.
    const migrate = await runCli(['migrate'], { cwd });
    expect(migrate.code, migrate.stderr).toBe(0);
    for (let i = 0; i < 3; i++) {
      const run = await expectPromptFailure(['schedule'], {}, /FUNCTIONS_BASE_URL is not set/);
      expect(run.stdout).toBe('');
    }
    // The lock of the embedded database was released by every run.
    await expect(fs.access(path.join(cwd, 'data', 'pglite.lock'))).rejects.toThrow();
  });

  it('serve with an empty database and no Ergast dump (the database was opened and migrated first)', async () => {
    await expectPromptFailure(['serve', '--no-train'], {}, /no Ergast dump was found at .*set F1_DUMP_DIR/, { withinMs: 40_000 });
  });

  it('backtest on a database without the seasons it needs', async () => {
    await expectPromptFailure(['backtest'], {}, /the database lacks the seasons this backtest needs/, { withinMs: 40_000 });
  });

  it('backtest as a job of several tasks without --parts', async () => {
    await expectPromptFailure(['backtest'], { CLOUD_RUN_TASK_COUNT: '2' }, /needs --parts KEY/);
  });

  it('ingest with nothing to ingest', async () => {
    await expectPromptFailure(['ingest'], {}, /give at least one of dump, laps/);
  });

  it('a configuration that cannot be parsed (Cloud SQL without DB_USER)', async () => {
    const run = await runCli(['migrate'], { cwd, env: { CLOUD_SQL_INSTANCE: 'p:r:i', DB_PASSWORD: 'x' } });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/DB_USER is required with CLOUD_SQL_INSTANCE/);
    expect(rawLines(run.stderr)).toEqual([]);
  });
});
