// The README's first command, timed on this machine: `pitwall serve` on an empty embedded
// database (PGlite in a fresh folder, a fresh artifact folder), exactly as `npm start` runs it
// on a fresh clone, from launch to each milestone of its JSON log; then `pitwall replay` of
// the season before, on the database the first start left. The baseline is what the README
// promised before this benchmark existed (about 5 minutes for the first start), printed beside.
//
//   npm run bench:first-start            (F1_DATA_DIR, default ../shared/data)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Built to dist/bench/first-start/run.js: the repository is three folders up.
const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'dist/shared/cli/main.js');
const dataDir = path.resolve(process.env.F1_DATA_DIR ?? path.join(root, '../shared/data'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-bench-first-start-'));
const env = {
  PATH: process.env.PATH,
  PITWALL_ENV: 'local',
  F1_DATA_DIR: dataDir,
  PGLITE_DIR: path.join(work, 'pglite'),
  ARTIFACT_STORE_URI: path.join(work, 'artifacts'),
  LOG_LEVEL: 'info',
};

interface Milestone {
  label: string;
  matches: (entry: Record<string, unknown>) => boolean;
}

/** Runs the CLI, timing each milestone by the first log line that matches it; `stop` ends the run (SIGTERM). */
function timed(args: string[], milestones: Milestone[], stop: (entry: Record<string, unknown>) => boolean) {
  const started = performance.now();
  const seen = new Map<string, number>();
  let peakRssMb = 0;
  return new Promise<{ seconds: Map<string, number>; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peakRssMb = Math.max(peakRssMb, kb / 1024);
      } catch {
        // the process has exited
      }
    }, 500);
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const at = (performance.now() - started) / 1000;
        for (const m of milestones) if (!seen.has(m.label) && m.matches(entry)) seen.set(m.label, at);
        if (entry.severity === 'ERROR') process.stderr.write(`${line}\n`);
        if (stop(entry)) child.kill('SIGTERM');
      }
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(sampler);
      seen.set('exit', (performance.now() - started) / 1000);
      seen.set('peak RSS (MB)', peakRssMb);
      resolve({ seconds: seen, code });
    });
  });
}

const message = (e: Record<string, unknown>) => String(e.message ?? '');
const startMilestones: Milestone[] = [
  { label: 'dump and laps ingested', matches: (e) => message(e).startsWith('no usable race model') || message(e).startsWith('first start: forecasting') },
  { label: 'models trained', matches: (e) => message(e).startsWith('first start: forecasting') },
  { label: 'season forecast and scored', matches: (e) => message(e).endsWith('forecast and scored') },
  { label: 'listening (dashboard ready)', matches: (e) => message(e).startsWith('pitwall listening') },
];

const minutes = (s: number | undefined) => (s === undefined ? '—' : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);

const start = await timed(['serve', '--port', '0'], startMilestones, (e) => message(e).startsWith('pitwall listening'));
const replay = await timed(['replay', '--season', '2023'], [], () => false);
fs.rmSync(work, { recursive: true, force: true });

process.stdout.write(`first start on this machine (${os.cpus().length} cores), npm start on a fresh clone\n`);
process.stdout.write(`  ${'milestone'.padEnd(30)} ${'since launch'.padStart(14)}\n`);
for (const m of startMilestones) process.stdout.write(`  ${m.label.padEnd(30)} ${minutes(start.seconds.get(m.label)).padStart(14)}\n`);
process.stdout.write(`  ${'peak RSS'.padEnd(30)} ${`${Math.round(start.seconds.get('peak RSS (MB)') ?? 0)} MB`.padStart(14)}\n`);
process.stdout.write(`  baseline (README before this bench): about 5 min; exit ${start.code}\n`);
process.stdout.write(`replay --season 2023 on that database (trains a model on seasons before 2023 first)\n`);
process.stdout.write(`  ${'wall time'.padEnd(30)} ${minutes(replay.seconds.get('exit')).padStart(14)}  (exit ${replay.code})\n`);
process.stdout.write(`  ${'peak RSS'.padEnd(30)} ${`${Math.round(replay.seconds.get('peak RSS (MB)') ?? 0)} MB`.padStart(14)}\n`);
