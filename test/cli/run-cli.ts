import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The built CLI (npm run build; `npm test` builds first). */
export const cliPath = path.resolve(import.meta.dirname, '../../dist/shared/cli/main.js');
export const cliBuilt = fs.existsSync(cliPath);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed at the deadline: it would have hung. */
  timedOut: boolean;
}

/** Settings that would change what a command does, cleared so a run sees only `env`. */
const cleared = ['DATABASE_URL', 'CLOUD_SQL_INSTANCE', 'PGLITE_DIR', 'FUNCTIONS_BASE_URL', 'GCP_PROJECT', 'F1_DUMP_DIR', 'F1_DATA_DIR', 'ARTIFACT_STORE_URI', 'CLOUD_RUN_TASK_COUNT', 'CLOUD_RUN_TASK_INDEX', 'LOG_FORMAT', 'LOG_LEVEL'];

/** Runs `pitwall <args>` in `cwd` as its own process; killed after `deadlineMs`. */
export function runCli(args: string[], o: { cwd: string; env?: Record<string, string>; deadlineMs?: number }): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of cleared) delete env[k];
  Object.assign(env, { LOG_FORMAT: 'json' }, o.env);
  const started = Date.now();
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.deadlineMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** stderr lines that are not one JSON log object each (raw library output, stray prints). */
export function rawLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => {
    if (l.trim() === '') return false;
    try {
      const o = JSON.parse(l) as { severity?: unknown; message?: unknown };
      return typeof o.severity !== 'string' || typeof o.message !== 'string';
    } catch {
      return true;
    }
  });
}
