import fs from 'node:fs/promises';
import path from 'node:path';
import { readDelimited, toObjects } from '../ingest/csv.js';
import { matchesQuery, parseOpenF1Query } from './openf1-query.js';
import { openf1PublishedAt } from './publication.js';

/**
 * OpenF1 v1 answers from what shared/data holds: the real session list (2023–2025), the 2024
 * stints of every session (data-drivers), and the recorded responses of single sessions
 * (2024 Australian GP race laps, pit and stints; 2023 Singapore laps and pit; 2023 Miami
 * weather). A session's rows are served once it has ended plus the delay; anything else
 * answers OpenF1's real "no results" (404 {"detail":"No results found."}).
 */

type Row = Record<string, unknown>;

export interface OpenF1Data {
  sessions: Row[];
  /** Endpoint → rows (each with a session_key). */
  rows: Map<string, Row[]>;
}

export const openf1Endpoints = ['sessions', 'stints', 'laps', 'pit', 'race_control', 'weather'] as const;

const readJson = async (file: string): Promise<Row[]> => JSON.parse(await fs.readFile(file, 'utf8')) as Row[];

/** `recordings: false` serves only the exports (the session list and the stints), none of the single recorded sessions. */
export async function loadOpenF1Data(dataDir: string, options: { recordings?: boolean } = {}): Promise<OpenF1Data> {
  const replay = path.join(dataDir, 'api-replay', 'openf1');
  const sessions = await readJson(path.join(replay, 'POSTED26-F1-Data', 'sessions.json'));
  const optional = (file: string) => (options.recordings === false ? Promise.resolve([] as Row[]) : readJson(path.join(replay, file)).catch(() => [] as Row[]));
  const stints = await readStints(path.join(dataDir, 'laps', 'openf1', 'data-drivers', 'stints_2024.csv'));
  const recordedStints = await optional('heibylau-F1-pit-strategy-search/stints.json');
  // The CSV holds every 2024 session; the recording adds only sessions the CSV lacks.
  const csvSessions = new Set(stints.map((s) => s.session_key));
  const rows = new Map<string, Row[]>([
    ['stints', [...stints, ...recordedStints.filter((s) => !csvSessions.has(s.session_key))]],
    ['laps', [...(await optional('heibylau-F1-pit-strategy-search/laps.json')), ...(await optional('alberto231090-database_f1/laps.json'))]],
    ['pit', [...(await optional('heibylau-F1-pit-strategy-search/pit-stops.json')), ...(await optional('alberto231090-database_f1/pit.json'))]],
    ['weather', await optional('alberto231090-database_f1/weather.json')],
    ['race_control', []],
  ]);
  return { sessions, rows };
}

/** data-drivers' stints (R write.csv: quoted strings, NA for null) back into OpenF1's JSON rows. */
async function readStints(file: string): Promise<Row[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  if (!text) return [];
  const parsed = readDelimited(text);
  const num = (v: string | undefined) => (v === undefined || v === 'NA' || v === '' ? null : Number(v));
  return toObjects(parsed.header, parsed.rows).map((r) => ({
    meeting_key: num(r.meeting_key),
    session_key: num(r.session_key),
    stint_number: num(r.stint_number),
    driver_number: num(r.driver_number),
    lap_start: num(r.lap_start),
    lap_end: num(r.lap_end),
    compound: r.compound === undefined || r.compound === 'NA' ? null : r.compound,
    tyre_age_at_start: num(r.tyre_age_at_start),
  }));
}

export interface OpenF1View {
  data: OpenF1Data;
  now: number;
  serves: (year: number) => boolean;
}

export interface OpenF1Answer {
  status: number;
  body: unknown;
  endpoint: string;
}

const noResults = (endpoint: string): OpenF1Answer => ({ status: 404, body: { detail: 'No results found.' }, endpoint });

/** Equality filters on the row's fields (OpenF1's plain `field=value`); comparison operators are not emulated. */
/** `rawQuery`: the URL's query string, as OpenF1 reads it (its `date>` filters do not survive URLSearchParams). */
export function answerOpenF1(view: OpenF1View, endpoint: string, rawQuery: string): OpenF1Answer {
  const query = parseOpenF1Query(rawQuery);
  if (!(openf1Endpoints as readonly string[]).includes(endpoint)) return { status: 404, body: { detail: 'Not Found' }, endpoint: 'unknown' };
  const served = view.data.sessions.filter((s) => view.serves(Number(s.year)));
  let rows: Row[];
  if (endpoint === 'sessions') {
    // The session list is the calendar: always visible.
    rows = served.filter((s) => matchesQuery(s, query));
  } else {
    const published = new Set(
      served.filter((s) => openf1PublishedAt(s as { date_start: string; date_end?: string | null }) <= view.now).map((s) => s.session_key),
    );
    rows = (view.data.rows.get(endpoint) ?? []).filter((r) => published.has(r.session_key) && matchesQuery(r, query));
  }
  return rows.length ? { status: 200, body: rows, endpoint } : noResults(endpoint);
}
