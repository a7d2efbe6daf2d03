import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PitwallError } from '../errors.js';

/**
 * One process at a time on a PGlite data directory. PGlite (0.5) takes no lock of its own
 * (its postmaster.pid holds a fixed -42), and a second process on the same directory
 * silently corrupts it. So a lock file beside the directory names the holder; a lock whose
 * process is gone (killed, crashed) is stale and taken over.
 */

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class DatabaseInUseError extends PitwallError {
  constructor(dir: string, lockFile: string, holder: LockHolder) {
    const self = holder.pid === process.pid && holder.host === os.hostname();
    super(
      self
        ? `the embedded database ${dir} is already open in this process (pid ${holder.pid}): close it before opening it again`
        : `the embedded database ${dir} is in use by process ${holder.pid} on ${holder.host} (${holder.command || 'unknown command'}, since ${holder.since}): ` +
            `stop that process first (a second one would corrupt it), or use a PostgreSQL server (DATABASE_URL) for several processes at once. ` +
            `If no such process is running, delete ${lockFile}`,
      'database_in_use',
      { dir, lockFile, holder },
    );
  }
}

export interface DirLock {
  readonly file: string;
  release(): void;
}

export function lockFileOf(dir: string): string {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `${path.basename(abs)}.lock`);
}

/** Takes the lock of `dir` or throws DatabaseInUseError naming the live holder. */
export function acquireDirLock(dir: string, command: string = commandLine()): DirLock {
  const file = lockFileOf(dir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  const body = `${JSON.stringify(me)}\n`;
  // Two tries: the second after removing a stale lock. Another process taking over the
  // same stale lock at the same instant loses at the exclusive create and is told who won.
  // The file appears whole (written aside, then hard-linked, which fails if it exists), so a
  // reader never sees a half-written lock and takes it for stale.
  const draft = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(draft, body);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readHolder(file);
        if (holder && isAlive(holder)) throw new DatabaseInUseError(path.resolve(dir), file, holder);
        if (attempt > 0) throw err;
        fs.rmSync(file, { force: true });
      }
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own file: a lock someone took over after deleting ours by hand stays theirs.
    if (readRaw(file) === body) fs.rmSync(file, { force: true });
  };
  // A normal exit without close() (an uncaught error) releases too; a kill leaves a stale lock.
  process.on('exit', release);
  return { file, release };
}

function readRaw(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readHolder(file: string): LockHolder | undefined {
  const raw = readRaw(file);
  if (raw === undefined) return undefined;
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    return typeof h.pid === 'number' ? { pid: h.pid, host: h.host ?? '', command: h.command ?? '', since: h.since ?? '' } : undefined;
  } catch {
    // A foreign or damaged file: treated as stale rather than blocking for good.
    return undefined;
  }
}

/** Whether the holder still runs. A holder on another host cannot be checked: taken as alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host && holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process as a person would recognise it: `main.js serve`, not the full paths. */
function commandLine(): string {
  const [script, ...args] = process.argv.slice(1);
  return script ? [path.basename(script), ...args].join(' ') : '';
}
