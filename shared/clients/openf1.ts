import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import type { HttpClient } from './http-client.js';
import {
  openf1Lap,
  openf1Pit,
  openf1RaceControl,
  openf1Session,
  openf1Stint,
  openf1Weather,
  type OpenF1Lap,
  type OpenF1Pit,
  type OpenF1RaceControl,
  type OpenF1Session,
  type OpenF1Stint,
  type OpenF1Weather,
} from './openf1-schemas.js';
import { zodParser } from './zod-parse.js';

/**
 * OpenF1 v1 client (data from 2023 on). Each endpoint answers a JSON array filtered by
 * query parameters; there is no pagination. OpenF1 answers 404 {"detail":"No results
 * found."} for an empty filter result: that is an empty array here, not an error.
 */

export type OpenF1Query = Record<string, string | number>;

/** A row that failed its schema; collected when a sink is passed, else the response is malformed. */
export interface OpenF1InvalidRow {
  endpoint: string;
  raw: unknown;
  reason: string;
}
export type InvalidSink = OpenF1InvalidRow[];

export interface OpenF1ClientOptions {
  http: HttpClient;
  /** e.g. https://api.openf1.org/v1 (no trailing slash). */
  baseUrl: string;
  /** How long the cached session list stays usable (it grows during a season). Default 1 hour. */
  sessionsMaxAgeMs?: number;
}

export interface OpenF1Client {
  sessions(query?: OpenF1Query, invalid?: InvalidSink): Promise<OpenF1Session[]>;
  stints(sessionKey: number, invalid?: InvalidSink): Promise<OpenF1Stint[]>;
  pit(sessionKey: number, invalid?: InvalidSink): Promise<OpenF1Pit[]>;
  laps(sessionKey: number, invalid?: InvalidSink): Promise<OpenF1Lap[]>;
  weather(query: OpenF1Query, invalid?: InvalidSink): Promise<OpenF1Weather[]>;
  /** The race control messages (flags, safety car, VSC, penalties) of one session. */
  raceControl(sessionKey: number, invalid?: InvalidSink): Promise<OpenF1RaceControl[]>;
}

export function createOpenF1Client(options: OpenF1ClientOptions): OpenF1Client {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  /** Rows parsed one by one: a bad row goes to `invalid` when given (the good rows are kept), else fails the response. */
  const rowsParser = <S extends z.ZodType>(endpoint: string, item: S, invalid?: InvalidSink) => {
    const array = zodParser(z.array(z.unknown()));
    return (body: unknown): z.output<S>[] => {
      const found: OpenF1InvalidRow[] = [];
      const rows = array(body).flatMap((raw, i) => {
        const parsed = item.safeParse(raw);
        if (parsed.success) return [parsed.data as z.output<S>];
        found.push({ endpoint, raw, reason: parsed.error.issues.map((x) => `${[i, ...x.path].join('.')}: ${x.message}`).join('; ') });
        return [];
      });
      if (found.length && !invalid) throw new Error(found.map((f) => f.reason).slice(0, 5).join('; '));
      invalid?.push(...found);
      return rows;
    };
  };

  async function list<S extends z.ZodType>(endpoint: string, item: S, query: OpenF1Query = {}, maxAgeMs?: number, invalid?: InvalidSink): Promise<z.output<S>[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const qs = params.toString();
    const url = `${baseUrl}/${endpoint}${qs ? `?${qs}` : ''}`;
    try {
      return await options.http.getJson(url, rowsParser(endpoint, item, invalid), {
        cacheable: (rows) => rows.length > 0,
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404 && /no results found/i.test(err.message)) return [];
      throw err;
    }
  }

  return {
    sessions: (query = {}, invalid) => list('sessions', openf1Session, query, options.sessionsMaxAgeMs ?? 3_600_000, invalid),
    stints: (sessionKey, invalid) => list('stints', openf1Stint, { session_key: sessionKey }, undefined, invalid),
    pit: (sessionKey, invalid) => list('pit', openf1Pit, { session_key: sessionKey }, undefined, invalid),
    laps: (sessionKey, invalid) => list('laps', openf1Lap, { session_key: sessionKey }, undefined, invalid),
    weather: (query, invalid) => list('weather', openf1Weather, query, undefined, invalid),
    raceControl: (sessionKey, invalid) => list('race_control', openf1RaceControl, { session_key: sessionKey }, undefined, invalid),
    // Per-session data is cached for good: ingestion only asks for sessions that have ended.
  };
}
