import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { RecordBatch } from '../../shared/ingest/records.js';
import { dataDir } from '../helpers/settings.js';

export const ergastDir = path.join(dataDir, 'ergast');
export const lapsDir = path.join(dataDir, 'laps');
export const fastf1File = (year: number) => path.join(lapsDir, 'fastf1', 'armchair-strategist', `transformed_grand_prix_laps_${year}.csv`);
export const f1PaceFile = path.join(lapsDir, 'ergast-api', 'f1-pace', 'lap_times.csv');
export const openf1StintsFile = path.join(lapsDir, 'openf1', 'data-drivers', 'stints_2024.csv');
export const openf1SessionsFile = path.join(dataDir, 'api-replay', 'openf1', 'POSTED26-F1-Data', 'sessions.json');

type Keyed = { season: number; round: number };

/** The batch restricted to some races (reference tables kept whole), to keep tests fast. */
export function sliceBatch(batch: RecordBatch, keep: (season: number, round: number) => boolean): RecordBatch {
  const f = <T extends Keyed>(rows: T[] | undefined) => rows?.filter((r) => keep(r.season, r.round));
  return {
    ...batch,
    races: f(batch.races),
    results: f(batch.results),
    sprintResults: f(batch.sprintResults),
    qualifying: f(batch.qualifying),
    driverStandings: f(batch.driverStandings),
    constructorStandings: f(batch.constructorStandings),
    constructorResults: f(batch.constructorResults),
    pitStops: f(batch.pitStops),
    laps: f(batch.laps),
    rejected: [],
    corrections: batch.corrections?.filter((c) => {
      const k = ('season' in (c.raw as object) ? c.raw : c.corrected) as Keyed;
      return keep(k.season, k.round);
    }),
    warnings: batch.warnings?.filter((w) => keep((w.raw as Keyed).season, (w.raw as Keyed).round)),
  };
}

/** Source rows of an Ergast file. */
export async function readErgastCsv(table: string): Promise<Record<string, string>[]> {
  return parse(await fs.readFile(path.join(ergastDir, `${table}.csv`), 'utf8'), { columns: true }) as Record<string, string>[];
}

/**
 * A copy of the real dump in a temp folder, limited to the races of `seasons` (all
 * reference tables kept), as CSV or as TSV. Written at test time, never committed.
 */
export async function writeSlicedDump(seasons: number[], format: 'csv' | 'tsv'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-dump-'));
  const races = await readErgastCsv('races');
  const raceIds = new Set(races.filter((r) => seasons.includes(Number(r.year))).map((r) => r.raceId));
  for (const name of await fs.readdir(ergastDir)) {
    if (!name.endsWith('.csv')) continue;
    const text = await fs.readFile(path.join(ergastDir, name), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const header = lines[0]!.split(',');
    const raceCol = header.indexOf('raceId');
    const seasonCol = name === 'seasons.csv' ? header.indexOf('year') : name === 'races.csv' ? header.indexOf('raceId') : -1;
    const kept = lines.slice(1).filter((l) => {
      if (name === 'seasons.csv') return seasons.includes(Number(l.split(',')[seasonCol]));
      if (raceCol === -1) return true;
      return raceIds.has(l.split(',')[raceCol]!);
    });
    const out = [lines[0]!, ...kept];
    const body = format === 'csv' ? out.join('\n') : out.map(toTsv).join('\n');
    await fs.writeFile(path.join(dir, name.replace(/\.csv$/, `.${format}`)), `${body}\n`);
  }
  return dir;
}

function toTsv(line: string): string {
  return (parse(line, { relax_quotes: true })[0] as string[]).join('\t');
}

/** A .zip of a folder's files under `folder/` (deflate), written with node:zlib only. */
export async function zipFolder(dir: string, folder: string): Promise<string> {
  const entries: { name: string; data: Buffer; crc: number; deflated: Buffer; offset: number }[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const file of (await fs.readdir(dir)).sort()) {
    const data = await fs.readFile(path.join(dir, file));
    const deflated = zlib.deflateRawSync(data);
    const name = `${folder}/${file}`;
    const crc = crc32(data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0, 6);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(0, 10);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(deflated.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(Buffer.byteLength(name), 26);
    header.writeUInt16LE(0, 28);
    parts.push(header, Buffer.from(name), deflated);
    entries.push({ name, data, crc, deflated, offset });
    offset += 30 + Buffer.byteLength(name) + deflated.length;
  }
  const central: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(20, 6);
    h.writeUInt16LE(0, 8);
    h.writeUInt16LE(8, 10);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(e.crc, 16);
    h.writeUInt32LE(e.deflated.length, 20);
    h.writeUInt32LE(e.data.length, 24);
    h.writeUInt16LE(Buffer.byteLength(e.name), 28);
    h.writeUInt32LE(e.offset, 42);
    central.push(h, Buffer.from(e.name));
  }
  const centralSize = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  const zipPath = `${dir}.zip`;
  await fs.writeFile(zipPath, Buffer.concat([...parts, ...central, end]));
  return zipPath;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
