import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseInUseError, lockFileOf } from '../../shared/db/pglite-lock.js';
import { openPglite } from '../../shared/db/pglite.js';
import { cliBuilt, cliPath, rawLines, runCli } from '../cli/run-cli.js';

/** A second process on the embedded database's directory must fail at once, naming the holder. */
describe('one process at a time on a PGlite directory', () => {
  let tmp: string;
  let dir: string;
  let holder: ChildProcess | undefined;
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-pglite-lock-'));
    dir = path.join(tmp, 'data', 'pglite');
  });
  afterEach(async () => {
    holder?.kill('SIGKILL');
    holder = undefined;
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('refuses a second open in the same process, and opens again after close', async () => {
    const first = await openPglite(dir);
    await expect(openPglite(dir)).rejects.toThrow(/already open in this process/);
    await first.close();
    await expect(fs.access(lockFileOf(dir))).rejects.toThrow();
    const again = await openPglite(dir);
    expect((await again.knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await again.close();
  });

  it.skipIf(!cliBuilt)('refuses while another process holds it, names that process, and takes over once it is killed', async () => {
    // The holder: a process that opens the directory and keeps it open, like `npm start`.
    const pglite = path.resolve(path.dirname(cliPath), '../db/pglite.js');
    const script = `const { openPglite } = await import(${JSON.stringify(pglite)}); await openPglite(${JSON.stringify(dir)}); console.log('open'); setInterval(() => {}, 1000);`;
    holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder!.stdout!.on('data', (c: Buffer) => String(c).includes('open') && resolve());
      holder!.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const pid = holder.pid!;

    // In this process.
    const err = await openPglite(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseInUseError);
    expect((err as Error).message).toContain(`in use by process ${pid}`);
    expect((err as Error).message).toMatch(/stop that process first/);

    // The CLI, as `npx pitwall migrate` beside a running server: an error at once, not a migration.
    const run = await runCli(['migrate'], { cwd: tmp, env: { PGLITE_DIR: dir }, deadlineMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`in use by process ${pid}`);
    expect(rawLines(run.stderr)).toEqual([]);
    expect(run.ms).toBeLessThan(15_000);

    // Killed without a chance to clean up: the lock is stale and the next open takes it over.
    const exited = new Promise((resolve) => holder!.on('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    holder = undefined;
    expect(JSON.parse(await fs.readFile(lockFileOf(dir), 'utf8'))).toMatchObject({ pid });
    const db = await openPglite(dir);
    expect(JSON.parse(await fs.readFile(lockFileOf(dir), 'utf8'))).toMatchObject({ pid: process.pid });
    await db.close();
    await expect(fs.access(lockFileOf(dir))).rejects.toThrow();
  });
});
