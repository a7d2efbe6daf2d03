import fs from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../errors.js';
import type { RaceEntrant } from '../../repository/reference-store.js';
import { readDelimited, toObjects } from '../csv.js';
import { checkDelimited, decodeUtf8 } from '../file-checks.js';
import { isFinisher, lapAlignment } from '../quirks.js';
import { compounds, type CorrectedRow, type LapRecord, type RecordBatch, type RejectedRow } from '../records.js';

/**
 * Lap-by-lap exports, each recognised by its header columns (not by file name):
 *
 * - FastF1 (armchair-strategist `transformed_grand_prix_laps_<year>.csv`): one row per
 *   driver and lap with LapTime, Position, Stint, Compound, TyreLife, FreshTyre,
 *   TrackStatus, PitInTime/PitOutTime. Race by (year from the file name, RoundNumber),
 *   driver by DriverNumber in that race's results (then by the 3-letter code).
 * - Ergast-API lap times (f1-pace `lap_times.csv`: round, grand_prix, driver, lap,
 *   position, time): the season is the one whose calendar matches every (round,
 *   grand_prix) pair; driver by 3-letter code among that season's entrants.
 * - OpenF1 stints (`stints_<year>.csv`): one row per stint, expanded to one record per
 *   lap (compound, stint, tyre life). Only race sessions are kept: a session key maps to
 *   a race through a sessions list (date_start = race date) when one is given, otherwise
 *   the race is the last session of each meeting and meetings are rounds in key order.
 *
 * All map onto the same (season, round, driverRef, lap) keys; the loader merges them.
 */

export type LapFileKind = 'fastf1' | 'f1pace' | 'openf1-stints';

export interface LapContext {
  races: { season: number; round: number; name: string; date: string }[];
  entrants: RaceEntrant[];
  /** OpenF1 sessions (GET /v1/sessions), to map session keys onto races by date. */
  openf1Sessions?: { session_key: number; session_name: string; date_start: string; year?: number }[];
}

export interface LapFileResult {
  file: string;
  kind: LapFileKind;
  /** Data rows in the file. */
  rows: number;
  /** Rows that are not race laps (e.g. OpenF1 practice stints): not loaded, not errors. */
  skipped: number;
}

export interface LapsReadResult {
  batch: RecordBatch;
  files: LapFileResult[];
}

export function detectLapFile(header: string[]): LapFileKind | undefined {
  const has = (...cols: string[]) => cols.every((c) => header.includes(c));
  if (has('DriverNumber', 'LapNumber', 'Stint', 'Compound', 'TyreLife', 'PitInTime', 'RoundNumber')) return 'fastf1';
  if (has('round', 'grand_prix', 'driver', 'lap', 'position', 'time')) return 'f1pace';
  if (has('session_key', 'stint_number', 'driver_number', 'lap_start', 'lap_end', 'compound', 'tyre_age_at_start')) return 'openf1-stints';
  return undefined;
}

/** Every lap file under `location` (a file or a folder, recursively). */
export async function listLapFiles(location: string): Promise<string[]> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new ValidationError(`lap files not found: ${location}`);
  if (stat.isFile()) return [location];
  if (!stat.isDirectory()) throw new ValidationError(`laps must be a lap file or a folder of them: ${location} is neither`);
  const out: string[] = [];
  for (const entry of await fs.readdir(location, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.csv$/i.test(entry.name)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

export async function readLapFiles(files: string[], ctx: LapContext): Promise<LapsReadResult> {
  const batch: RecordBatch & { laps: LapRecord[]; rejected: RejectedRow[]; corrections: CorrectedRow[] } = {
    laps: [],
    rejected: [],
    corrections: [],
  };
  const results: LapFileResult[] = [];
  const index = indexEntrants(ctx.entrants);
  for (const file of files) {
    const parsed = readDelimited(decodeUtf8(file, await fs.readFile(file)), ',');
    const kind = detectLapFile(parsed.header);
    // The header is not echoed: a path that is not a lap file may be any file on the server.
    if (!kind) {
      throw new ValidationError(
        `${file}: not a recognised lap file: expected the header of a FastF1 export (DriverNumber, LapNumber, Stint, Compound, …), an f1-pace lap_times.csv (round, grand_prix, driver, lap, position, time) or OpenF1 stints (session_key, stint_number, driver_number, …)`,
      );
    }
    // Cut short is refused even when the cut falls inside the last field (every export ends with a line break).
    checkDelimited(file, parsed, { requireFinalNewline: true });
    const rows = toObjects(parsed.header, parsed.rows);
    const name = path.basename(file);
    let skipped = 0;
    if (kind === 'fastf1') readFastF1(name, rows, index, batch);
    else if (kind === 'f1pace') readF1Pace(name, rows, ctx, index, batch);
    else skipped = readOpenF1Stints(name, rows, ctx, index, batch);
    results.push({ file, kind, rows: rows.length, skipped });
  }
  return { batch, files: results };
}

interface EntrantIndex {
  byNumber: Map<string, RaceEntrant>;
  byCode: Map<string, RaceEntrant>;
  seasonCode: Map<string, RaceEntrant>;
  race: Map<string, RaceEntrant[]>;
}

function indexEntrants(entrants: RaceEntrant[]): EntrantIndex {
  const idx: EntrantIndex = { byNumber: new Map(), byCode: new Map(), seasonCode: new Map(), race: new Map() };
  for (const e of entrants) {
    const race = `${e.season}/${e.round}`;
    if (e.number != null) idx.byNumber.set(`${race}/${e.number}`, e);
    if (e.code) {
      idx.byCode.set(`${race}/${e.code}`, e);
      idx.seasonCode.set(`${e.season}/${e.code}`, e);
    }
    idx.race.set(race, [...(idx.race.get(race) ?? []), e]);
  }
  return idx;
}

function yearFromName(file: string): number | undefined {
  const m = /(19[5-9]\d|20\d\d)/.exec(file);
  return m ? Number(m[1]) : undefined;
}

const float = (v: string | undefined): number | null => (v === undefined || v === '' || v === 'NA' || v === 'nan' ? null : Number(v));
const intOrNull = (v: string | undefined): number | null => {
  const f = float(v);
  return f === null ? null : Math.round(f);
};
const ms = (seconds: string | undefined): number | null => {
  const f = float(seconds);
  return f === null ? null : Math.round(f * 1000);
};
const compound = (v: string | undefined): LapRecord['compound'] => {
  if (!v || v === 'NA' || v === 'nan') return null;
  return (compounds as readonly string[]).includes(v) ? (v as LapRecord['compound']) : 'UNKNOWN';
};
/** TrackStatus digits; some exports wrote them as floats ('1.0'). */
const trackStatus = (v: string | undefined): string | null => (!v || v === 'nan' ? null : v.replace(/\.0$/, ''));
const bool = (v: string | undefined): boolean | null => (v === 'True' ? true : v === 'False' ? false : null);

function readFastF1(file: string, rows: Record<string, string>[], idx: EntrantIndex, batch: { laps: LapRecord[]; rejected: RejectedRow[]; corrections: CorrectedRow[] }) {
  const season = yearFromName(file);
  const byRace = new Map<number, LapRecord[]>();
  const raw = new Map<LapRecord, Record<string, string>>();
  for (const r of rows) {
    if (season === undefined) {
      batch.rejected.push({ table: 'laps', raw: r, reason: `${file}: no season in the file name` });
      continue;
    }
    const round = intOrNull(r.RoundNumber);
    const key = `${season}/${round}`;
    const entrant = idx.byNumber.get(`${key}/${intOrNull(r.DriverNumber)}`) ?? idx.byCode.get(`${key}/${r.Driver}`);
    if (!entrant) {
      batch.rejected.push({ table: 'laps', raw: r, reason: `fastf1: no driver #${r.DriverNumber} (${r.Driver}) in ${season} R${round} results` });
      continue;
    }
    const lap: LapRecord = {
      season, round: round ?? Number.NaN, driverRef: entrant.driverRef, lap: intOrNull(r.LapNumber) ?? Number.NaN,
      position: intOrNull(r.Position), timeMs: ms(r.LapTime), compound: compound(r.Compound), stint: intOrNull(r.Stint),
      tyreLife: intOrNull(r.TyreLife), freshTyre: bool(r.FreshTyre), trackStatus: trackStatus(r.TrackStatus),
      pitIn: Boolean(r.PitInTime), pitOut: Boolean(r.PitOutTime), source: 'fastf1',
    };
    raw.set(lap, r);
    byRace.set(round ?? -1, [...(byRace.get(round ?? -1) ?? []), lap]);
  }
  for (const [round, laps] of byRace) {
    // Lap-number quirk (quirks.ts lapAlignment): compare finishers' last laps with results.
    const entrants = idx.race.get(`${season}/${round}`) ?? [];
    const last = new Map<string, number>();
    for (const l of laps) last.set(l.driverRef, Math.max(last.get(l.driverRef) ?? 0, l.lap));
    const finishers = entrants
      .filter((e) => isFinisher(e.status) && last.has(e.driverRef))
      .map((e) => ({ officialLaps: e.laps, sourceLastLap: last.get(e.driverRef)! }));
    const alignment = lapAlignment(finishers);
    if (alignment.kind === 'unalignable') {
      const reason = `fastf1 ${season} R${round}: lap numbers offset from the official laps by ${alignment.offsets.join('/')} depending on the driver; cannot be aligned, left out`;
      for (const l of laps) batch.rejected.push({ table: 'laps', raw: raw.get(l), reason });
      continue;
    }
    if (alignment.kind === 'shift') {
      for (const l of laps) l.lap += alignment.by;
      batch.corrections.push({
        table: 'laps',
        raw: { source: 'fastf1', file, season, round, laps: laps.length },
        corrected: { lapOffset: alignment.by },
        reason: `fastf1 ${season} R${round}: every finisher ${alignment.by} lap(s) short of the official result; lap numbers shifted by +${alignment.by}`,
      });
    }
    batch.laps.push(...laps);
  }
}

function readF1Pace(file: string, rows: Record<string, string>[], ctx: LapContext, idx: EntrantIndex, batch: { laps: LapRecord[]; rejected: RejectedRow[] }) {
  // The file has no season column and country-style race names ('Brazil' for the São
  // Paulo GP): the season is the one whose race entrants contain (nearly) every
  // (round, driver code) pair of the file.
  const pairs = [...new Set(rows.map((r) => `${r.round}/${r.driver}`))];
  const ranked = [...new Set(ctx.entrants.map((e) => e.season))]
    .map((season) => ({ season, share: pairs.filter((p) => idx.byCode.has(`${season}/${p}`)).length / pairs.length }))
    .sort((a, b) => b.share - a.share);
  const seasons = ranked.filter((r) => r.share >= 0.9).map((r) => r.season).slice(0, 1);
  if (seasons.length !== 1) {
    const best = ranked[0] ? `${ranked[0].season} (${Math.round(ranked[0].share * 100)}%)` : 'none';
    for (const r of rows) batch.rejected.push({ table: 'laps', raw: r, reason: `${file}: no season's entrants match its (round, driver) pairs; best ${best}` });
    return;
  }
  const season = seasons[0]!;
  for (const r of rows) {
    const round = intOrNull(r.round);
    const entrant = idx.byCode.get(`${season}/${round}/${r.driver}`) ?? idx.seasonCode.get(`${season}/${r.driver}`);
    if (!entrant) {
      batch.rejected.push({ table: 'laps', raw: r, reason: `ergast laps: no driver ${r.driver} in ${season}` });
      continue;
    }
    batch.laps.push({
      season, round: round ?? Number.NaN, driverRef: entrant.driverRef, lap: intOrNull(r.lap) ?? Number.NaN,
      position: intOrNull(r.position), timeMs: ms(r.time), source: 'ergast',
    });
  }
}

function readOpenF1Stints(file: string, rows: Record<string, string>[], ctx: LapContext, idx: EntrantIndex, batch: { laps: LapRecord[]; rejected: RejectedRow[] }): number {
  const races = raceSessions(file, rows, ctx);
  let skipped = 0;
  // Consecutive stints may share their boundary lap (the in-lap ends one stint in the
  // pit lane): the lap stays with the earlier stint.
  const lastLap = new Map<string, number>();
  const ordered = [...rows].sort((a, b) => Number(a.session_key) - Number(b.session_key) || Number(a.driver_number) - Number(b.driver_number) || Number(a.stint_number) - Number(b.stint_number));
  for (const r of ordered) {
    const race = races.get(Number(r.session_key));
    if (!race) {
      skipped++;
      continue;
    }
    const entrant = idx.byNumber.get(`${race.season}/${race.round}/${r.driver_number}`);
    const start = intOrNull(r.lap_start);
    const end = intOrNull(r.lap_end);
    if (!entrant || start === null || end === null || end < start) {
      const reason = !entrant
        ? `openf1: no driver #${r.driver_number} in ${race.season} R${race.round} results`
        : `openf1: stint without a valid lap range (${r.lap_start}–${r.lap_end})`;
      batch.rejected.push({ table: 'laps', raw: r, reason });
      continue;
    }
    const age = intOrNull(r.tyre_age_at_start);
    const driverKey = `${r.session_key}/${r.driver_number}`;
    const first = Math.max(start, (lastLap.get(driverKey) ?? 0) + 1);
    lastLap.set(driverKey, Math.max(end, lastLap.get(driverKey) ?? 0));
    for (let lap = first; lap <= end; lap++) {
      batch.laps.push({
        season: race.season, round: race.round, driverRef: entrant.driverRef, lap, compound: compound(r.compound),
        stint: intOrNull(r.stint_number),
        // FastF1's convention: tyre life at the end of the lap (a new set is 1 on its first lap).
        tyreLife: age === null ? null : age + (lap - start) + 1,
        source: 'openf1',
      });
    }
  }
  return skipped;
}

/** session_key → race (see readLapFiles). */
function raceSessions(file: string, rows: Record<string, string>[], ctx: LapContext): Map<number, { season: number; round: number }> {
  const out = new Map<number, { season: number; round: number }>();
  const keys = new Set(rows.map((r) => Number(r.session_key)));
  if (ctx.openf1Sessions?.length) {
    for (const s of ctx.openf1Sessions) {
      if (s.session_name !== 'Race' || !keys.has(s.session_key)) continue;
      // The race date of the Ergast calendar is the local date: Las Vegas (Saturday night)
      // starts on Sunday in UTC. Take the race within a day of the session start.
      const start = Date.parse(s.date_start);
      const race = ctx.races.find((r) => Math.abs(Date.parse(`${r.date}T12:00:00Z`) - start) <= 36 * 3600_000);
      if (race) out.set(s.session_key, { season: race.season, round: race.round });
    }
    return out;
  }
  const season = yearFromName(file);
  if (season === undefined) return out;
  const meetings = new Map<number, number>();
  for (const r of rows) meetings.set(Number(r.meeting_key), Math.max(meetings.get(Number(r.meeting_key)) ?? 0, Number(r.session_key)));
  [...meetings.keys()].sort((a, b) => a - b).forEach((m, i) => out.set(meetings.get(m)!, { season, round: i + 1 }));
  return out;
}
