import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import type { HttpClient } from './http-client.js';
import {
  openf1Lap,
  openf1Pit,
  openf1Session,
  openf1Stint,
  openf1Weather,
  type OpenF1Lap,
  type OpenF1Pit,
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

export interface OpenF1ClientOptions {
  http: HttpClient;
  /** e.g. https://api.openf1.org/v1 (no trailing slash). */
  baseUrl: string;
  /** How long the cached session list stays usable (it grows during a season). Default 1 hour. */
  sessionsMaxAgeMs?: number;
}

export interface OpenF1Client {
  sessions(query?: OpenF1Query): Promise<OpenF1Session[]>;
  stints(sessionKey: number): Promise<OpenF1Stint[]>;
  pit(sessionKey: number): Promise<OpenF1Pit[]>;
  laps(sessionKey: number): Promise<OpenF1Lap[]>;
  weather(query: OpenF1Query): Promise<OpenF1Weather[]>;
}

export function createOpenF1Client(options: OpenF1ClientOptions): OpenF1Client {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function list<S extends z.ZodType>(endpoint: string, item: S, query: OpenF1Query = {}, maxAgeMs?: number): Promise<z.output<S>[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const qs = params.toString();
    const url = `${baseUrl}/${endpoint}${qs ? `?${qs}` : ''}`;
    try {
      return await options.http.getJson(url, zodParser(z.array(item)), {
        cacheable: (rows) => rows.length > 0,
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404 && /no results found/i.test(err.message)) return [];
      throw err;
    }
  }

  return {
    sessions: (query = {}) => list('sessions', openf1Session, query, options.sessionsMaxAgeMs ?? 3_600_000),
    stints: (sessionKey) => list('stints', openf1Stint, { session_key: sessionKey }),
    pit: (sessionKey) => list('pit', openf1Pit, { session_key: sessionKey }),
    laps: (sessionKey) => list('laps', openf1Lap, { session_key: sessionKey }),
    weather: (query) => list('weather', openf1Weather, query),
    // Per-session data is cached for good: ingestion only asks for sessions that have ended.
  };
}
