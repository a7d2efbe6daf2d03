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

/** One zip entry: raw deflate data, its CRC and the uncompressed size the headers declare. */
export interface ZipEntry {
  name: string;
  deflated: Buffer;
  crc: number;
  size: number;
}

/** A .zip (deflate, no data descriptors) of the entries, written with node:zlib only. */
export function zipOf(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.deflated.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, e.deflated);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(e.crc, 16);
    c.writeUInt32LE(e.deflated.length, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + e.deflated.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** The files of a folder as zip entries under `folder/`, in name order. */
export async function folderEntries(dir: string, folder: string): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for (const file of (await fs.readdir(dir)).sort()) {
    const data = await fs.readFile(path.join(dir, file));
    out.push({ name: `${folder}/${file}`, deflated: zlib.deflateRawSync(data), crc: zlib.crc32(data), size: data.length });
  }
  return out;
}

/** A .zip of a folder's files under `folder/`, written beside it as `<dir>.zip`. */
export async function zipFolder(dir: string, folder: string): Promise<string> {
  const zipPath = `${dir}.zip`;
  await fs.writeFile(zipPath, zipOf(await folderEntries(dir, folder)));
  return zipPath;
}
