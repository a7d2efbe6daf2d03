import type { Race } from '../domain/reference.js';
import { NotFoundError, ValidationError } from '../errors.js';

/** 'Abu Dhabi GP', 'abu-dhabi grand prix', 'Abu Dhabi' → 'abudhabi'. */
export function normaliseRaceName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\bgrand\s*prix\b|\bgp\b/g, '')
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Finds a race of a season by round number ('8') or by name ('Monaco', 'monaco grand
 * prix', 'Abu Dhabi GP'): an exact normalised name wins, else a unique partial match,
 * else a unique circuit whose name, location or country matches ('Spain', 'Monza').
 */
export function matchRace(
  races: readonly Race[],
  season: number,
  query: string,
  circuits: ReadonlyMap<number, { name: string; location: string | null; country: string | null }> = new Map(),
): Race {
  const q = query.trim();
  if (/^\d{1,2}$/.test(q)) {
    const race = races.find((r) => r.round === Number(q));
    if (!race) throw new NotFoundError('race', `${season}/${q}`);
    return race;
  }
  const wanted = normaliseRaceName(q);
  if (wanted.length < 3) throw new ValidationError('race must be a round number or a race name', [{ path: 'race', message: `'${query}' is too short to match a race name` }]);
  const exact = races.filter((r) => normaliseRaceName(r.name) === wanted);
  if (exact.length === 1) return exact[0]!;
  const partial = races.filter((r) => normaliseRaceName(r.name).includes(wanted));
  if (partial.length === 1) return partial[0]!;
  if (partial.length === 0) {
    // 'Spain', 'Silverstone', 'Monza': the circuit's country, location or name.
    const byCircuit = races.filter((r) => {
      const c = circuits.get(r.circuitId);
      return c !== undefined && [c.name, c.location, c.country].some((v) => v !== null && normaliseRaceName(v) === wanted);
    });
    if (byCircuit.length === 1) return byCircuit[0]!;
  }
  if (partial.length > 1) {
    throw new ValidationError(`'${query}' matches several races of ${season}`, [
      { path: 'race', message: `ambiguous: ${partial.map((r) => `${r.round} ${r.name}`).join(', ')}` },
    ]);
  }
  throw new NotFoundError('race', `${season}/${query}`);
}
