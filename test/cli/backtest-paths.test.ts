import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireData } from '../helpers/settings.js';
import { writeSlicedDump } from '../ingest/helpers.js';
import { cliBuilt, rawLines, runCli } from './run-cli.js';

const data = requireData();

/** Issue 12: backtest did not say where it wrote its JSON and SVGs. */
describe.skipIf(data.skip || !cliBuilt)('pitwall backtest says where it wrote its files', () => {
  let cwd: string;
  let dump: string;
  beforeAll(async () => {
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-backtest-paths-'));
    dump = await writeSlicedDump([2019, 2020, 2021, 2022, 2023, 2024], 'csv');
  });
  afterAll(async () => {
    await fs.rm(cwd, { recursive: true, force: true });
    if (dump) await fs.rm(dump, { recursive: true, force: true });
  });

  it('logs the absolute path of the report and of each reliability diagram, given relative ones', async () => {
    const args = ['backtest', '--from', '2024', '--to', '2024', '--train-seasons', '1', '--races-per-season', '1', '--epochs', '1', '--dump', dump, '--json', 'out/report.json'];
    const run = await runCli(args, { cwd, deadlineMs: 180_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(rawLines(run.stderr)).toEqual([]);
    const wrote = run.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { message: string; json?: string; reliabilityDiagrams?: Record<string, string> })
      .find((l) => l.message.startsWith('wrote '));
    const json = path.join(await fs.realpath(cwd), 'out', 'report.json');
    expect(wrote?.json).toBe(json);
    expect(Object.keys(wrote?.reliabilityDiagrams ?? {}).sort()).toEqual(['dnf', 'podium', 'top10', 'win']);
    for (const file of [json, ...Object.values(wrote!.reliabilityDiagrams!)]) {
      expect(path.isAbsolute(file)).toBe(true);
      expect(wrote!.message).toContain(file);
      await fs.access(file);
    }
  });
});
