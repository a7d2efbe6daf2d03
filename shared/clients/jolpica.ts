import { UpstreamIncompleteError } from '../errors.js';
import type { HttpClient } from './http-client.js';
import {
  mrDataPage,
  type ErgastCircuit,
  type ErgastConstructor,
  type ErgastDriver,
  type ErgastRace,
  type ErgastStandingsList,
  type MrDataPage,
  type RowList,
} from './jolpica-schemas.js';
import { zodParser } from './zod-parse.js';

/**
 * Jolpica (Ergast-compatible) API client. Every list endpoint is paginated with
 * limit/offset until MRData.total is reached; the pages of a race table are merged back
 * (a race, or a lap, may straddle two pages) and the item count is checked against total.
 * The pager does not trust the upstream to end it: every page must answer the offset asked
 * for, a listing needing more than `maxPages` requests is refused after its first page, and
 * none runs past ceil(total / limit) + 1 pages, so a hostile or broken server cannot spend
 * the hourly budget every process shares.
 */

export interface JolpicaClientOptions {
  http: HttpClient;
  /** e.g. https://api.jolpi.ca/ergast/f1 (no trailing slash). */
  baseUrl: string;
  /** Items per request (Jolpica allows up to 100; Ergast's default is 30). */
  pageSize?: number;
  /**
   * How long a cached page of the current (or a future) season stays usable; pages of past
   * seasons are settled and cached for good. Default 1 hour.
   */
  currentSeasonMaxAgeMs?: number;
  /** Now, in ms (to tell past seasons from the current one, and to place deadlines): the HTTP client's clock. */
  now?: () => number;
  /** Most requests one listing may take (default 100, a fifth of Jolpica's hourly 500). */
  maxPages?: number;
}

/** Per call: skip the cache, and a time budget (ms) for all of the call's pages. */
export interface CallOptions {
  fresh?: boolean;
  withinMs?: number;
}

export type Scope = { season: number; round?: number };

export interface JolpicaClient {
  /** The season's races with the UTC date/time of every session. */
  schedule(season: number): Promise<ErgastRace[]>;
  /** `fresh` bypasses the cache (result sync: a classification can change after the stewards). */
  results(scope: Scope, options?: CallOptions): Promise<ErgastRace[]>;
  qualifying(scope: Scope): Promise<ErgastRace[]>;
  sprint(scope: Scope): Promise<ErgastRace[]>;
  pitStops(season: number, round: number): Promise<ErgastRace[]>;
  laps(season: number, round: number): Promise<ErgastRace[]>;
  drivers(season: number): Promise<ErgastDriver[]>;
  constructors(season: number): Promise<ErgastConstructor[]>;
  circuits(season: number): Promise<ErgastCircuit[]>;
  /** The drivers' championship after a round (one standings list; empty before it is published). */
  driverStandings(season: number, round: number): Promise<ErgastStandingsList[]>;
  /** The constructors' championship after a round. */
  constructorStandings(season: number, round: number): Promise<ErgastStandingsList[]>;
  /** One raw page (limit/offset as given); exposed for callers that page themselves. */
  page(path: string, limit: number, offset: number): Promise<MrDataPage>;
}

const parsePage = zodParser(mrDataPage);

type RaceList = RowList;

const scopePath = ({ season, round }: Scope) => (round === undefined ? `${season}` : `${season}/${round}`);

/** Items a page holds, in the unit MRData.total counts. */
function countRaceItems(races: ErgastRace[], list?: RaceList): number {
  if (!list) return races.length;
  let n = 0;
  for (const r of races) {
    // Rows set aside as invalid still count toward MRData.total.
    n += r.invalid.filter((i) => i.list === list).length;
    const items = r[list];
    if (list === 'Laps') n += (r.Laps ?? []).reduce((s, l) => s + l.Timings.length, 0);
    else n += items?.length ?? 0;
  }
  return n;
}

/** Merges races split across pages (and, for laps, a lap split across pages). */
function mergeRaces(races: ErgastRace[]): ErgastRace[] {
  const byKey = new Map<string, ErgastRace>();
  for (const race of races) {
    const key = `${race.season}/${race.round}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...race, invalid: [...race.invalid], ...(race.Laps ? { Laps: race.Laps.map((l) => ({ ...l, Timings: [...l.Timings] })) } : {}) });
      continue;
    }
    seen.invalid.push(...race.invalid);
    for (const list of ['Results', 'SprintResults', 'QualifyingResults', 'PitStops'] as const) {
      if (race[list]) (seen[list] as unknown[] | undefined) = [...(seen[list] ?? []), ...race[list]];
    }
    for (const lap of race.Laps ?? []) {
      const existing = seen.Laps?.find((l) => l.number === lap.number);
      if (existing) existing.Timings.push(...lap.Timings);
      else (seen.Laps ??= []).push({ ...lap, Timings: [...lap.Timings] });
    }
  }
  return [...byKey.values()];
}

/** Merges one round's standings split across pages; MRData.total counts standings rows (invalid ones too). */
function mergeStandings(lists: ErgastStandingsList[]): ErgastStandingsList[] {
  const byKey = new Map<string, ErgastStandingsList>();
  for (const list of lists) {
    const key = `${list.season}/${list.round}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...list, invalid: [...list.invalid] });
      continue;
    }
    seen.invalid.push(...list.invalid);
    for (const rows of ['DriverStandings', 'ConstructorStandings'] as const) {
      if (list[rows]) (seen[rows] as unknown[] | undefined) = [...(seen[rows] ?? []), ...list[rows]];
    }
  }
  return [...byKey.values()];
}

const countStandings = (lists: ErgastStandingsList[], rows: 'DriverStandings' | 'ConstructorStandings') =>
  lists.reduce((n, l) => n + (l[rows]?.length ?? 0) + l.invalid.filter((i) => i.list === rows).length, 0);

export function createJolpicaClient(options: JolpicaClientOptions): JolpicaClient {
  const { http } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const pageSize = options.pageSize ?? 100;
  const now = options.now ?? Date.now;
  const currentMaxAge = options.currentSeasonMaxAgeMs ?? 3_600_000;
  const maxPages = options.maxPages ?? 100;
  /** Paths start with the season ('2023/9/results'): a past season no longer changes. */
  const maxAgeFor = (path: string) => {
    const season = Number(/^(\d{4})/.exec(path)?.[1]);
    return Number.isFinite(season) && season < new Date(now()).getUTCFullYear() ? undefined : currentMaxAge;
  };

  const page = async (path: string, limit: number, offset: number, fresh = false, deadlineAt?: number): Promise<MrDataPage> => {
    const url = `${baseUrl}/${path}.json?limit=${limit}&offset=${offset}`;
    const maxAgeMs = maxAgeFor(path);
    const body = await http.getJson(url, parsePage, {
      // An empty page may only mean "not published yet": never cache it.
      cacheable: (p) => p.MRData.total > 0,
      noCache: fresh,
      ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
      ...(deadlineAt !== undefined ? { deadlineAt } : {}),
    });
    return body.MRData;
  };

  /** Fetches every page of `path`; `pick` takes a page's items, `count` counts them in total's unit. */
  async function all<T>(path: string, pick: (p: MrDataPage) => T[], count: (items: T[]) => number, call: CallOptions = {}): Promise<T[]> {
    const deadlineAt = call.withinMs === undefined ? undefined : now() + call.withinMs;
    const refuse = (why: string, details: Record<string, unknown> = {}) => new UpstreamIncompleteError(`${path}: ${why}; nothing of it was used`, [], { path, ...details });
    const items: T[] = [];
    let offset = 0;
    let counted = 0;
    let pages = 0;
    let allowed = 1;
    for (;;) {
      const p = await page(path, pageSize, offset, call.fresh ?? false, deadlineAt);
      pages++;
      if (p.offset !== offset) throw refuse(`asked for offset ${offset}, the upstream answered offset ${p.offset}: its pages do not advance`, { asked: offset, answered: p.offset, pages });
      const got = pick(p);
      items.push(...got);
      counted += count(got);
      // Step by the limit the server applied (it may cap ours).
      const step = p.limit;
      if (p.offset + step >= p.total || got.length === 0) {
        if (counted !== p.total) throw refuse(`the upstream sent ${counted} items but its MRData.total is ${p.total}`, { counted, total: p.total });
        return items;
      }
      if (step <= 0) throw refuse(`the upstream reported limit ${step}`);
      if (pages === 1) {
        const needed = Math.ceil(p.total / step);
        if (needed > maxPages) {
          throw refuse(`MRData.total ${p.total} with limit ${step} needs ${needed} requests, more than the ${maxPages} allowed per listing (JOLPICA_MAX_PAGES)`, { total: p.total, limit: step, needed });
        }
        allowed = needed + 1;
      }
      if (pages >= allowed) throw refuse(`still not at MRData.total after ${pages} pages (at most ${allowed} expected)`, { pages, total: p.total });
      offset = p.offset + step;
    }
  }

  const races = async (path: string, list?: RaceList, call?: CallOptions) =>
    mergeRaces(await all(path, (p) => p.RaceTable?.Races ?? [], (rs) => countRaceItems(rs, list), call));

  return {
    schedule: (season) => races(`${season}`),
    results: (scope, call) => races(`${scopePath(scope)}/results`, 'Results', call),
    qualifying: (scope) => races(`${scopePath(scope)}/qualifying`, 'QualifyingResults'),
    sprint: (scope) => races(`${scopePath(scope)}/sprint`, 'SprintResults'),
    pitStops: (season, round) => races(`${season}/${round}/pitstops`, 'PitStops'),
    laps: (season, round) => races(`${season}/${round}/laps`, 'Laps'),
    drivers: (season) => all(`${season}/drivers`, (p) => p.DriverTable?.Drivers ?? [], (d) => d.length),
    constructors: (season) => all(`${season}/constructors`, (p) => p.ConstructorTable?.Constructors ?? [], (c) => c.length),
    circuits: (season) => all(`${season}/circuits`, (p) => p.CircuitTable?.Circuits ?? [], (c) => c.length),
    driverStandings: async (season, round) =>
      mergeStandings(await all(`${season}/${round}/driverStandings`, (p) => p.StandingsTable?.StandingsLists ?? [], (l) => countStandings(l, 'DriverStandings'))),
    constructorStandings: async (season, round) =>
      mergeStandings(
        await all(`${season}/${round}/constructorStandings`, (p) => p.StandingsTable?.StandingsLists ?? [], (l) => countStandings(l, 'ConstructorStandings')),
      ),
    page: (path, limit, offset) => page(path, limit, offset),
  };
}
