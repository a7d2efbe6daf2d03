import { z } from 'zod';
import { NotReadyError, UpstreamError } from '../errors.js';
import type { HttpClient } from './http-client.js';
import {
  openf1Interval,
  openf1Lap,
  openf1Position,
  openf1Pit,
  openf1RaceControl,
  openf1Session,
  openf1Stint,
  openf1Weather,
  type OpenF1Interval,
  type OpenF1Lap,
  type OpenF1Position,
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
 *
 * History needs no account. A session that is running is served only to authenticated users
 * (a bearer token, OPENF1_TOKEN); without one OpenF1 answers 401/403, which becomes an
 * OpenF1AuthError that says so. Live reads (`live`, `since`) never touch the response cache:
 * the data of a running session changes between two polls.
 */

/** OpenF1 refused a request for want of (valid) credentials: what a live session needs. */
export class OpenF1AuthError extends NotReadyError {
  constructor(
    readonly url: string,
    readonly upstreamStatus: number,
    readonly tokenSent: boolean,
  ) {
    super(
      tokenSent
        ? `OpenF1 refused the token (HTTP ${upstreamStatus} for ${url}): check OPENF1_TOKEN, OpenF1 serves live sessions only to authenticated users`
        : `OpenF1 serves live sessions only to authenticated users: set OPENF1_TOKEN (HTTP ${upstreamStatus} for ${url})`,
      60,
      { url, upstreamStatus, tokenSent },
    );
  }
}

/** A read of a session that may be running. */
export interface LiveRead {
  /** Bypass the response cache (read and write): the session is running. */
  live?: boolean;
  /** Only rows after this ISO instant (OpenF1's `date>` filter; `date_start>` for laps); implies live. */
  since?: string;
}

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
  /** OpenF1 access token (OPENF1_TOKEN), sent as a bearer on every request when given. */
  token?: string;
}

export interface OpenF1Client {
  sessions(query?: OpenF1Query, invalid?: InvalidSink, read?: LiveRead): Promise<OpenF1Session[]>;
  stints(sessionKey: number, invalid?: InvalidSink, read?: Omit<LiveRead, 'since'>): Promise<OpenF1Stint[]>;
  pit(sessionKey: number, invalid?: InvalidSink, read?: LiveRead): Promise<OpenF1Pit[]>;
  laps(sessionKey: number, invalid?: InvalidSink, read?: LiveRead): Promise<OpenF1Lap[]>;
  weather(query: OpenF1Query, invalid?: InvalidSink, read?: LiveRead): Promise<OpenF1Weather[]>;
  /** The race control messages (flags, safety car, VSC, penalties) of one session. */
  raceControl(sessionKey: number, invalid?: InvalidSink, read?: LiveRead): Promise<OpenF1RaceControl[]>;
  /** The running order's changes (/position); a live session's, so never cached. */
  position(sessionKey: number, since?: string, invalid?: InvalidSink): Promise<OpenF1Position[]>;
  /** Gaps to the leader and to the car ahead (/intervals); never cached. */
  intervals(sessionKey: number, since?: string, invalid?: InvalidSink): Promise<OpenF1Interval[]>;
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

  const auth = options.token ? { authorization: `Bearer ${options.token}` } : undefined;

  async function list<S extends z.ZodType>(
    endpoint: string,
    item: S,
    query: OpenF1Query = {},
    maxAgeMs?: number,
    invalid?: InvalidSink,
    read: LiveRead & { dateField?: string } = {},
  ): Promise<z.output<S>[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    // OpenF1's comparison filters are written `field>value` (no "="): appended as such.
    const since = read.since ? `${read.dateField ?? 'date'}>${new Date(read.since).toISOString()}` : '';
    const qs = [params.toString(), since].filter(Boolean).join('&');
    const url = `${baseUrl}/${endpoint}${qs ? `?${qs}` : ''}`;
    const live = read.live || read.since !== undefined;
    try {
      return await options.http.getJson(url, rowsParser(endpoint, item, invalid), {
        cacheable: (rows) => rows.length > 0,
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
        ...(live ? { noCache: true } : {}),
        ...(auth ? { headers: auth } : {}),
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404 && /no results found/i.test(err.message)) return [];
      if (err instanceof UpstreamError && (err.status === 401 || err.status === 403)) throw new OpenF1AuthError(url, err.status, auth !== undefined);
      throw err;
    }
  }

  const session = (sessionKey: number) => ({ session_key: sessionKey });
  return {
    sessions: (query = {}, invalid, read) => list('sessions', openf1Session, query, options.sessionsMaxAgeMs ?? 3_600_000, invalid, { ...read, dateField: 'date_start' }),
    stints: (sessionKey, invalid, read) => list('stints', openf1Stint, session(sessionKey), undefined, invalid, read),
    pit: (sessionKey, invalid, read) => list('pit', openf1Pit, session(sessionKey), undefined, invalid, read),
    laps: (sessionKey, invalid, read) => list('laps', openf1Lap, session(sessionKey), undefined, invalid, { ...read, dateField: 'date_start' }),
    weather: (query, invalid, read) => list('weather', openf1Weather, query, undefined, invalid, read),
    raceControl: (sessionKey, invalid, read) => list('race_control', openf1RaceControl, session(sessionKey), undefined, invalid, read),
    position: (sessionKey, since, invalid) => list('position', openf1Position, session(sessionKey), undefined, invalid, { live: true, ...(since ? { since } : {}) }),
    intervals: (sessionKey, since, invalid) => list('intervals', openf1Interval, session(sessionKey), undefined, invalid, { live: true, ...(since ? { since } : {}) }),
    // Without `live`, per-session data is cached for good: ingestion of history only asks for sessions that have ended.
  };
}
