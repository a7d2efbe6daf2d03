import type { EmulatedRace, ErgastData, Json } from './ergast-data.js';
import { publishedAt } from './publication.js';

/**
 * Jolpica's Ergast-compatible answers, built from the dump: the MRData envelope Jolpica sends
 * today (`"xmlns":""`, every number a string), Ergast pagination (limit ≤ 100, default 30;
 * MRData.total counts result rows, timing rows for laps, stops for pit stops, standings rows)
 * and publication on the clock: before a session's data is published, its round answers an
 * empty table (total 0), as the real API does. The schedule is always visible.
 */

export interface ErgastAnswer {
  status: number;
  body: unknown;
  /** Endpoint name for the stats ('results', 'laps', ...). */
  endpoint: string;
}

export interface ErgastView {
  data: ErgastData;
  now: number;
  /** Seasons served; a race of another season does not exist. */
  serves: (season: number) => boolean;
  /** Base of MRData.url (this server's /ergast/f1). */
  baseUrl: string;
}

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 30;

type RowEndpoint = 'results' | 'qualifying' | 'sprint' | 'pitstops';
const listOf: Record<RowEndpoint, string> = { results: 'Results', qualifying: 'QualifyingResults', sprint: 'SprintResults', pitstops: 'PitStops' };
const kindOf = { results: 'results', qualifying: 'qualifying', sprint: 'sprint', pitstops: 'pitstops' } as const;

const notFound = (endpoint: string, detail: string): ErgastAnswer => ({ status: 404, body: { detail }, endpoint });

export function answerErgast(view: ErgastView, rawPath: string, query: URLSearchParams): ErgastAnswer {
  const path = rawPath.replace(/^\/+|\/+$/g, '').replace(/\.json$/i, '');
  const parts = path.split('/').map((p) => p.toLowerCase());
  const limit = Math.min(MAX_LIMIT, Math.max(1, intParam(query.get('limit')) ?? DEFAULT_LIMIT));
  const offset = Math.max(0, intParam(query.get('offset')) ?? 0);
  const season = Number(parts[0]);
  if (!/^\d{4}$/.test(parts[0] ?? '')) return notFound('unknown', `unsupported path ${rawPath}`);
  const { data, now } = view;
  const seasonRaces = view.serves(season) ? data.races.filter((r) => r.season === season) : [];
  const envelope = (total: number, table: string, body: Json) => ({
    MRData: { xmlns: '', series: 'f1', url: `${view.baseUrl}/${parts.join('/')}.json`, limit: String(limit), offset: String(offset), total: String(total), [table]: body },
  });
  const visible = (race: EmulatedRace, kind: Parameters<typeof publishedAt>[1]) => publishedAt(race, kind) <= now;

  // {season}/{round|last}/...: the round, or the last one whose race is over.
  let rest = parts.slice(1);
  let round: number | undefined;
  if (rest[0] && /^(\d{1,2}|last)$/.test(rest[0])) {
    if (rest[0] === 'last') {
      const held = seasonRaces.filter((r) => visible(r, 'results'));
      round = held.at(-1)?.round ?? 0;
    } else round = Number(rest[0]);
    rest = rest.slice(1);
  }
  const scoped = round === undefined ? seasonRaces : seasonRaces.filter((r) => r.round === round);
  const filters = { season: String(season), ...(round !== undefined ? { round: String(round) } : {}) };
  const endpoint = rest[0] ?? 'schedule';
  if (rest.length > 1) return notFound(endpoint, `unsupported path ${rawPath}`);

  const paged = <T>(items: T[]) => items.slice(offset, offset + limit);
  /** Consecutive items of the same race become one race entry. */
  const racesOf = <T>(items: { race: EmulatedRace; row: T }[], build: (race: EmulatedRace, rows: T[]) => Json) => {
    const out: Json[] = [];
    let current: { race: EmulatedRace; rows: T[] } | undefined;
    for (const item of items) {
      if (current?.race !== item.race) {
        if (current) out.push(build(current.race, current.rows));
        current = { race: item.race, rows: [] };
      }
      current.rows.push(item.row);
    }
    if (current) out.push(build(current.race, current.rows));
    return out;
  };

  switch (endpoint) {
    case 'schedule':
      return { status: 200, endpoint, body: envelope(scoped.length, 'RaceTable', { ...filters, Races: paged(scoped).map((r) => r.schedule) }) };
    case 'results':
    case 'qualifying':
    case 'sprint':
    case 'pitstops': {
      const source = { results: data.results, qualifying: data.qualifying, sprint: data.sprint, pitstops: data.pitStops }[endpoint];
      const items = scoped.filter((r) => visible(r, kindOf[endpoint])).flatMap((race) => (source.get(race.raceId) ?? []).map((row) => ({ race, row })));
      const list = listOf[endpoint];
      return { status: 200, endpoint, body: envelope(items.length, 'RaceTable', { ...filters, Races: racesOf(paged(items), (race, rows) => ({ ...race.header, [list]: rows })) }) };
    }
    case 'laps': {
      const items = scoped.filter((r) => visible(r, 'laps')).flatMap((race) => (data.laps.get(race.raceId) ?? []).map((row) => ({ race, row })));
      const build = (race: EmulatedRace, rows: { lap: number; timing: Json }[]) => {
        const laps: { number: string; Timings: Json[] }[] = [];
        for (const r of rows) {
          if (laps.at(-1)?.number !== String(r.lap)) laps.push({ number: String(r.lap), Timings: [] });
          laps.at(-1)!.Timings.push(r.timing);
        }
        return { ...race.header, Laps: laps };
      };
      return { status: 200, endpoint, body: envelope(items.length, 'RaceTable', { ...filters, Races: racesOf(paged(items), build) }) };
    }
    case 'driverstandings':
    case 'constructorstandings': {
      // Standings are per round: a season alone means its last published round.
      const target = round === undefined ? seasonRaces.filter((r) => visible(r, 'standings')).at(-1) : scoped[0];
      const shown = target && visible(target, 'standings') ? target : undefined;
      const driver = endpoint === 'driverstandings';
      const rows = shown ? ((driver ? data.driverStandings : data.constructorStandings).get(shown.raceId) ?? []) : [];
      const lists = rows.length ? [{ season: String(season), round: String(shown!.round), [driver ? 'DriverStandings' : 'ConstructorStandings']: paged(rows) }] : [];
      return { status: 200, endpoint, body: envelope(rows.length, 'StandingsTable', { ...filters, ...(shown ? { round: String(shown.round) } : {}), StandingsLists: lists }) };
    }
    case 'drivers':
    case 'constructors': {
      // Those who took part in a published session of the scope, by id (as Ergast sorts them).
      const seen = new Map<string, Json>();
      for (const race of scoped) {
        if (!visible(race, 'qualifying') && !visible(race, 'sprint') && !visible(race, 'results')) continue;
        const e = data.entrants.get(race.raceId);
        for (const [id, json] of (endpoint === 'drivers' ? e?.drivers : e?.constructors) ?? []) seen.set(id, json);
      }
      const rows = [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, json]) => json);
      const [table, list] = endpoint === 'drivers' ? ['DriverTable', 'Drivers'] : ['ConstructorTable', 'Constructors'];
      return { status: 200, endpoint, body: envelope(rows.length, table, { ...filters, [list]: paged(rows) }) };
    }
    case 'circuits': {
      const refs = [...new Set(scoped.map((r) => r.circuitRef))].sort();
      const rows = refs.map((ref) => data.circuits.get(ref)!);
      return { status: 200, endpoint, body: envelope(rows.length, 'CircuitTable', { ...filters, Circuits: paged(rows) }) };
    }
    default:
      return notFound(endpoint, `unsupported path ${rawPath}`);
  }
}

function intParam(v: string | null): number | undefined {
  if (v === null || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
