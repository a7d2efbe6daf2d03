import { describe, expect, it } from 'vitest';
import { createReadApi } from '../../shared/api/read-api.js';
import { predictFunction } from '../../shared/api/write-handlers.js';
import { SimulatedClock } from '../../shared/clock.js';
import type { FreezePolicy } from '../../shared/domain/freeze-policy.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { addQualifying, buildSeason } from '../helpers/builders.js';
import { routesCaller } from '../helpers/call.js';

const policy: FreezePolicy = { kind: 'post_qualifying' };

/** A season with no entry list yet, the predict function and the read API over one repository and clock. */
async function setup() {
  const repo = createMemoryRepository();
  const season = await buildSeason(repo, { season: 2025, races: 2, firstRace: '2025-03-16', qualifying: false });
  const clock = new SimulatedClock(new Date('2025-03-15T16:00:00Z'));
  const freeze = routesCaller(predictFunction({ repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) }));
  const read = routesCaller(createReadApi({ repo, clock, policy, currentModel: async () => 'qualifying-order-v1', health: {}, openapi: () => ({}) }));
  const listed = async (round: number) => {
    const res = await read({ path: '/races', query: { season: '2025' } });
    return (res.body as { races: { round: number; freezeStatus: string; freezeRefusals: unknown }[] }).races.find((r) => r.round === round)!;
  };
  return { repo, season, clock, freeze, listed };
}

describe('a scheduled freeze that comes before the entry list', () => {
  it('is refused, each refusal kept; the listing says how often and why, until a freeze succeeds', async () => {
    const { repo, season, clock, freeze, listed } = await setup();
    expect((await listed(1)).freezeRefusals).toBeNull();
    for (const at of ['2025-03-15T16:00:00Z', '2025-03-15T16:10:00Z']) {
      clock.set(new Date(at));
      expect((await freeze({ method: 'POST', query: { year: '2025', race: '1' } })).status).toBe(409);
    }
    expect(await listed(1)).toMatchObject({
      freezeStatus: 'open',
      freezeRefusals: { attempts: 2, lastAt: '2025-03-15T16:10:00.000Z', status: 409, code: 'conflict', reason: expect.stringMatching(/no qualifying classification/) },
    });
    // The other race was never attempted.
    expect((await listed(2)).freezeRefusals).toBeNull();

    await addQualifying(repo, season, season.races[0]!, season.drivers);
    clock.set(new Date('2025-03-15T16:40:00Z'));
    expect((await freeze({ method: 'POST', query: { year: '2025', race: '1' } })).status).toBe(201);
    expect(await listed(1)).toMatchObject({ freezeStatus: 'frozen', freezeRefusals: null });
  });

  it('a race that starts without its entry list is missed, and says why', async () => {
    const { clock, freeze, listed } = await setup();
    clock.set(new Date('2025-03-16T12:30:00Z'));
    await freeze({ method: 'POST', query: { year: '2025', race: '1' } });
    clock.set(new Date('2025-03-16T13:01:00Z'));
    // After the start the refusal is of another kind (a forecast can no longer be frozen), and it is kept too.
    expect((await freeze({ method: 'POST', query: { year: '2025', race: '1' } })).status).toBe(409);
    expect(await listed(1)).toMatchObject({ freezeStatus: 'missed', freezeRefusals: { attempts: 2, reason: expect.stringMatching(/started at .* and no forecast was frozen/) } });
  });

  it('a retrospective request or an unknown race records nothing', async () => {
    const { clock, freeze, listed } = await setup();
    clock.set(new Date('2025-03-16T14:00:00Z'));
    expect((await freeze({ method: 'POST', query: { year: '2025', race: '1', retrospective: 'true' } })).status).toBe(409);
    expect((await freeze({ method: 'POST', query: { year: '2025', race: '9' } })).status).toBe(404);
    expect((await listed(1)).freezeRefusals).toBeNull();
  });
});
