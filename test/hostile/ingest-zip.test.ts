import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ZIP_LIMITS } from '../../shared/config/config.js';
import { ValidationError } from '../../shared/errors.js';
import { zipSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { requireData } from '../helpers/settings.js';
import { folderEntries, writeSlicedDump, zipOf, type ZipEntry } from '../ingest/helpers.js';

/**
 * Zip bombs: a few MB that inflate to GBs. Only the entries that are tables of the dump are
 * inflated, each counted while it streams out against a per-entry and a total cap, so the
 * refusal comes before memory grows.
 */

const data = requireData();

/**
 * About `bytes` of zeros (whole MB), never held inflated: one MB deflated without a final
 * block, repeated (each copy independent), then an empty final block.
 */
function zeros(name: string, bytes: number, declared?: number): ZipEntry {
  const mb = Buffer.alloc(1024 * 1024);
  const block = zlib.deflateRawSync(mb, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const count = Math.round(bytes / mb.length);
  let crc = 0;
  for (let i = 0; i < count; i++) crc = zlib.crc32(mb, crc);
  const deflated = Buffer.concat([...Array.from({ length: count }, () => block), zlib.deflateRawSync(Buffer.alloc(0))]);
  return { name, deflated, crc, size: declared ?? count * mb.length };
}

/** Peak RSS growth (MB) while `work` runs, sampled every 5 ms. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T | unknown; mb: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  try {
    const result = await work().catch((e: unknown) => e);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, mb: (peak - base) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

const GB = 1024 * 1024 * 1024;

describe.skipIf(data.skip)('zipped dumps are inflated within caps', () => {
  let dir: string;
  let tables: ZipEntry[];
  beforeAll(async () => {
    dir = await writeSlicedDump([2024], 'csv');
    tables = await folderEntries(dir, 'f1db_csv');
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a 1.6 GB results.csv in a small zip is refused by its declared size before any of it is inflated', async () => {
    const bomb = zipOf([...tables.filter((t) => !t.name.endsWith('/results.csv')), zeros('f1db_csv/results.csv', 1.6 * GB)]);
    expect(bomb.length).toBeLessThan(3 * 1024 * 1024);
    const { result, mb } = await peakGrowth(() => zipSource(bomb, 'bomb.zip'));
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as Error).message).toMatch(/f1db_csv\/results\.csv holds more than 67108864 bytes .*raise DUMP_ZIP_ENTRY_MAX_BYTES/);
    expect(mb).toBeLessThan(150);
  });

  it('a results.csv whose headers understate its size stops as soon as it inflates past them', async () => {
    const lying = zipOf([zeros('f1db_csv/results.csv', 1 * GB, 1000)]);
    const { result, mb } = await peakGrowth(() => zipSource(lying, 'lying.zip', { entryMaxBytes: 8 * 1024 * 1024, totalMaxBytes: 16 * 1024 * 1024 }));
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as Error).message).toMatch(/lying\.zip: not a readable zip: too many bytes in the stream\. expected 1000/);
    expect(mb).toBeLessThan(150);
  });

  it('tables that are each under the entry cap but together over the total are refused', async () => {
    const many = zipOf(['results', 'qualifying', 'laps_extra', 'lap_times', 'pit_stops'].map((t) => zeros(`f1db_csv/${t}.csv`, 40 * 1024 * 1024)));
    const { result } = await peakGrowth(() => zipSource(many, 'many.zip', { entryMaxBytes: DEFAULT_ZIP_LIMITS.entryMaxBytes, totalMaxBytes: 100 * 1024 * 1024 }));
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as Error).message).toMatch(/many\.zip \(all tables\) holds more than 104857600 bytes .*DUMP_ZIP_TOTAL_MAX_BYTES/);
  });

  it('entries that are not tables are skipped unread: a dump beside 1.6 GB of other files reads as the dump', async () => {
    const padded = zipOf([...tables, zeros('f1db_csv/readme.bin', 0.8 * GB), zeros('other/huge.csv', 0.8 * GB)]);
    expect(padded.length).toBeLessThan(3 * 1024 * 1024);
    const { result, mb } = await peakGrowth(async () => readDump(await zipSource(padded, 'padded.zip')));
    expect(result).not.toBeInstanceOf(Error);
    const read = result as Awaited<ReturnType<typeof readDump>>;
    expect(read.rows.races).toBe((await fs.readFile(path.join(dir, 'races.csv'), 'utf8')).trimEnd().split('\n').length - 1);
    expect(mb).toBeLessThan(200);
  });
});

