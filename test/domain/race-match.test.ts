import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { matchRace, normaliseRaceName } from '../../shared/lifecycle/race-match.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { buildSeason, GRANDS_PRIX } from '../helpers/builders.js';

/** The seven Grands Prix of the builder (rounds 1–7): Bahrain, Saudi Arabian, Monaco, Spanish, Italian, Emilia Romagna, Abu Dhabi. */
async function calendar() {
  const repo = createMemoryRepository();
  await buildSeason(repo, { races: GRANDS_PRIX.length, qualifying: false });
  return repo;
}

const roundOf = async (race: string) => (await findRace(await calendar(), { year: 2024, race })).round;

describe('race names', () => {
  it('normalise away case, accents, punctuation and "Grand Prix" / "GP"', () => {
    expect(['Abu Dhabi GP', 'abu-dhabi grand prix', 'Abu Dhabi', 'ABU  DHABI Grand  Prix'].map(normaliseRaceName)).toEqual(['abudhabi', 'abudhabi', 'abudhabi', 'abudhabi']);
    expect(normaliseRaceName('Montmeló')).toBe('montmelo');
  });
});

describe('finding a race of a season', () => {
  it('by round number', async () => {
    expect(await roundOf('3')).toBe(3);
    expect(await roundOf(' 7 ')).toBe(7);
  });

  it('by the race name in its variants', async () => {
    expect(await roundOf('Abu Dhabi GP')).toBe(7);
    expect(await roundOf('abu dhabi grand prix')).toBe(7);
    expect(await roundOf('MONACO')).toBe(3);
    expect(await roundOf('Emilia-Romagna')).toBe(6);
  });

  it('by a unique part of a name', async () => {
    // 'Ita' is part of Italian only; 'Saudi' of one name.
    expect(await roundOf('Ita')).toBe(5);
    expect(await roundOf('saudi')).toBe(2);
  });

  it('by the circuit’s country, location or name when no race name matches', async () => {
    expect(await roundOf('Spain')).toBe(4);
    expect(await roundOf('Monza')).toBe(5);
    expect(await roundOf('Montmelo')).toBe(4);
    expect(await roundOf('Yas Marina Circuit')).toBe(7);
  });

  it('refuses a part of several names as ambiguous, naming them', async () => {
    const repo = await calendar();
    const err = await findRace(repo, { year: 2024, race: 'ian' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.message).toBe('ambiguous: 2 Saudi Arabian Grand Prix, 5 Italian Grand Prix');
  });

  it('refuses a query too short to be a name', async () => {
    const err = await findRace(await calendar(), { year: 2024, race: 'GP' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([{ path: 'race', message: "'GP' is too short to match a race name" }]);
  });

  it('does not find an unknown name, a country with two circuits, or a round the season does not have', async () => {
    const repo = await calendar();
    for (const race of ['Atlantis', 'Italy', '30']) {
      await expect(findRace(repo, { year: 2024, race })).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('says which seasons are loaded when the asked one is not', async () => {
    const repo = await calendar();
    await buildSeason(repo, { season: 2023, races: 1, qualifying: false });
    const err = await findRace(repo, { year: 1949, race: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe('season 1949 not found: seasons 2023–2024 are loaded');
    const empty = await findRace(createMemoryRepository(), { year: 2024, race: '1' }).catch((e: unknown) => e);
    expect((empty as Error).message).toMatch(/no season is loaded yet/);
  });

  it('matchRace alone needs no repository: an exact name wins over a partial one', () => {
    const race = (round: number, name: string) => ({ id: round, season: 2024, round, circuitId: round, name, url: null, sessions: { race: { date: '2024-06-01', time: null } } });
    const races = [race(1, 'Austrian Grand Prix'), race(2, 'Styrian Grand Prix'), race(3, 'Austria Grand Prix')];
    expect(matchRace(races, 2024, 'Austria').round).toBe(3);
    expect(() => matchRace(races, 2024, 'rian')).toThrow(ValidationError);
  });
});
