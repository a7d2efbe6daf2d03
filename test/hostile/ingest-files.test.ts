import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCommand } from '../../shared/cli/commands/ingest.js';
import { parseConfig } from '../../shared/config/config.js';
import type { Database } from '../../shared/db/connect.js';
import { ValidationError } from '../../shared/errors.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, f1PaceFile, readErgastCsv, writeSlicedDump } from '../ingest/helpers.js';

/**
 * A malformed file refuses the whole dump before any row of it is written: the run fails
 * with the reason, the command exits non-zero, and the database holds nothing of the dump
 * (not even its reference tables). Each case is a copy of the real dump in a temp folder
 * with one file damaged the way a real copy gets damaged.
 */

const data = requireData();
// Real PostgreSQL when there is one (the refusals are the same on PGlite).
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

type Damage = (dir: string) => Promise<void>;

const rewrite = (file: string, change: (bytes: Buffer) => Buffer | string): Damage => async (dir) => {
  const p = path.join(dir, file);
  const bytes = await fs.readFile(p);
  await fs.writeFile(p, change(bytes));
};

const cases: { name: string; damage: Damage; reason: RegExp }[] = [
  {
    // Today: loads as success, 1965 R9 with 14 of 18 results and 437 races without any.
    name: 'results.csv truncated at 60%',
    damage: rewrite('results.csv', (b) => {
      let cut = Math.floor(b.length * 0.6);
      if (b[cut - 1] === 0x0a) cut++; // mid-line, as a cut-short copy is
      return b.subarray(0, cut);
    }),
    reason: /results\.csv: the last line \(\d+\) has no line end: the file looks cut short/,
  },
  {
    // Today: the rest of the file becomes one row, 0 results stored, success.
    name: 'a stray quote in results.csv',
    damage: rewrite('results.csv', (b) => b.toString('utf8').replace('"1:34:50.616"', '"1:34:50.616')),
    reason: /results\.csv: .*(never closed|runs on to line).*stray "/,
  },
  {
    // Today: 26,759 rows quarantined and the run succeeds.
    name: 'a wrong header in results.csv',
    damage: rewrite('results.csv', (b) => b.toString('utf8').replace(/^resultId,raceId,driverId/, 'resultId,race,driverId')),
    reason: /results\.csv: the header is not this table's \(missing raceId; unexpected race\): expected resultId,raceId,/,
  },
  {
    name: 'an empty status.csv',
    damage: rewrite('status.csv', () => ''),
    reason: /status\.csv is empty/,
  },
  {
    name: 'a races.csv with a header and no rows',
    damage: rewrite('races.csv', (b) => `${b.toString('utf8').split('\n')[0]}\n`),
    reason: /races\.csv: has a header but no rows/,
  },
  {
    // Today: stored as U+FFFD without a word.
    name: 'drivers.csv in Latin-1',
    damage: rewrite('drivers.csv', (b) => Buffer.from(b.toString('utf8'), 'latin1')),
    reason: /drivers\.csv is not valid UTF-8 \(first bad byte on line \d+; Latin-1/,
  },
  {
    name: 'a results.csv whose every grid is not a number',
    damage: rewrite('results.csv', (b) =>
      b
        .toString('utf8')
        .split('\n')
        .map((line, i) => (i === 0 || line === '' ? line : line.replace(/^((?:[^,]*,){5})[^,]*/, '$1x')))
        .join('\n'),
    ),
    reason: /results: 26759 of 26759 rows fail validation \(none is valid\), so the file is refused and nothing of the batch written \(first reason: grid/,
  },
];

describe.skipIf(data.skip)(`every dump file is checked before any of it is written (${backend.name})`, () => {
  let db: Database;
  let tmp: string;
  beforeAll(async () => {
    db = await backend.open();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-damaged-'));
  });
  afterAll(async () => {
    await db?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`refuses ${c.name}: failed run with the reason, nothing of the dump written`, async () => {
      const dir = path.join(tmp, c.name.replace(/\W+/g, '-'));
      await fs.cp(ergastDir, dir, { recursive: true });
      await fs.chmod(dir, 0o755);
      for (const f of await fs.readdir(dir)) await fs.chmod(path.join(dir, f), 0o644);
      await c.damage(dir);
      const repo = createRepository(db.knex);
      const err = await ingestFiles({ repo, logger: silentLogger }, { dump: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(c.reason);
      const [run] = await repo.ingestionRuns.latest(1);
      expect(run).toMatchObject({ source: 'dump', status: 'failed', error: expect.stringMatching(c.reason) });
      const counts = await repo.reference.rowCounts();
      expect(Object.values(counts).reduce((s, n) => s + n, 0), JSON.stringify(counts)).toBe(0);
    });
  }

  it('the command fails (and so exits non-zero) on a damaged dump, and loads the same dump once repaired', async () => {
    const dir = await writeSlicedDump([1965], 'csv');
    let loaded: Database | undefined;
    try {
      const good = await fs.readFile(path.join(dir, 'results.csv'));
      await fs.writeFile(path.join(dir, 'results.csv'), good.subarray(0, Math.floor(good.length * 0.6) + 1));
      const config = parseConfig({ PGLITE_DIR: path.join(tmp, 'pglite') });
      const stdout = new Writable({ write: (_c, _e, done) => done() });
      await expect(ingestCommand.run({ config, logger: silentLogger, stdout }, ['--dump', dir])).rejects.toThrow(/results\.csv: .*cut short/);
      // The repaired file loads every 1965 result: no half race left behind by the refusal.
      // Loaded into a database of its own: the shared one stays empty for the refusals' "nothing written".
      await fs.writeFile(path.join(dir, 'results.csv'), good);
      loaded = await backend.open();
      const repo = createRepository(loaded.knex);
      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: dir });
      expect(runs[0]!.status).toBe('succeeded');
      const r9 = await repo.races.bySeasonRound(1965, 9);
      const raceId = (await readErgastCsv('races')).find((r) => r.year === '1965' && r.round === '9')!.raceId;
      const expected = (await readErgastCsv('results')).filter((r) => r.raceId === raceId).length;
      expect(expected).toBe(18);
      expect((await repo.reference.results(r9!.id)).length).toBe(expected);
    } finally {
      await loaded?.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['cut short mid-line', (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.6) + (b[Math.floor(b.length * 0.6) - 1] === 0x0a ? 1 : 0)), /the last line \(\d+\) has no line end: the file looks cut short/],
    ['in Latin-1', (b: Buffer) => Buffer.concat([b, Buffer.from('1,Bahrain,Sauber,HUL,99,20,9\u00e9.0\n', 'latin1')]), /is not valid UTF-8/],
    ['with a stray quote', (b: Buffer) => Buffer.from(b.toString('utf8').replace('1,Bahrain,Red Bull,VER,4,1,96.647', '1,Bahrain,"Red Bull,VER,4,1,96.647')), /stray "/],
  ] as const)('refuses a lap file %s, writing no lap', async (_name, damage, reason) => {
    const file = path.join(tmp, `lap_times-${_name.replace(/\W+/g, '-')}.csv`);
    await fs.writeFile(file, damage(await fs.readFile(f1PaceFile)));
    const repo = createRepository(db.knex);
    const before = (await repo.reference.rowCounts()).laps;
    const err = await ingestFiles({ repo, logger: silentLogger }, { laps: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(reason);
    expect((await repo.ingestionRuns.latest(1))[0]).toMatchObject({ source: 'laps', status: 'failed' });
    expect((await repo.reference.rowCounts()).laps).toBe(before);
  });
});
