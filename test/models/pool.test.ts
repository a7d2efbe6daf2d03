import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/evaluation/bootstrap.js';
import { defaultPoolSettings, fitPool, PoolLearner, poolStrengths, type PoolEvidence } from '../../shared/models/race/pool.js';

/**
 * Synthetic races: 20 cars, slot i + 1, finishing orders drawn from Plackett–Luce with true
 * strength = gridWeight·(−log slot) + netWeight·net, where net is what the "network" says.
 */
function races(n: number, { gridWeight, netWeight, seed, teamBoost = 0 }: { gridWeight: number; netWeight: number; seed: number; teamBoost?: number }): PoolEvidence[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, r) => {
    const net = Array.from({ length: 20 }, () => rand() * 2 - 1);
    const teams = Array.from({ length: 20 }, (_, i) => Math.floor(i / 2));
    const slots = Array.from({ length: 20 }, (_, i) => i + 1);
    // Team 9 (the back of the grid) is suddenly fast: the network does not know it.
    const truth = slots.map((s, i) => -gridWeight * Math.log(s) + netWeight * net[i]! + (teams[i] === 9 ? teamBoost : 0));
    const keys = truth.map((t) => t - Math.log(-Math.log(rand() || 1e-12)));
    const finishers = keys.map((_, i) => i).sort((a, b) => keys[b]! - keys[a]!);
    return { raceId: r + 1, grid: slots.map((s) => [-Math.log(s), s - 1]), teams, net, dnfLogit: net.map(() => -2), finishers, dnf: net.map(() => 0 as const) };
  });
}

describe('the pool of grid and network', () => {
  it('weights the network by how much it tells: about its true weight when informative, near 0 when noise', () => {
    const start = { strength: [1, 0, 0], dnf: [-2, 0] as [number, number] };
    const informative = fitPool(races(150, { gridWeight: 1, netWeight: 1.5, seed: 1 }), 1e6, start);
    const noise = fitPool(races(150, { gridWeight: 1, netWeight: 0, seed: 2 }), 1e6, start);
    expect(informative.strength.at(-1)).toBeGreaterThan(1.2);
    expect(informative.strength.at(-1)).toBeLessThan(1.8);
    expect(Math.abs(noise.strength.at(-1)!)).toBeLessThan(0.2);
    // The grid terms carry the grid in both: the pole-sitter ahead of the last car.
    const s = poolStrengths(noise, { grid: [[0, 0], [-Math.log(20), 19]], net: [0, 0], teams: [0, 1] });
    expect(s[0]!).toBeGreaterThan(s[1]! + 1.5);
  });

  it('learns a new pecking order the network misses, as team offsets chosen one step ahead', () => {
    const learner = new PoolLearner();
    for (const e of races(60, { gridWeight: 1, netWeight: 1, seed: 3, teamBoost: 2.5 })) learner.observe(e);
    const pool = learner.current();
    expect(pool.teamOffsets).toBeDefined();
    expect(pool.teamOffsets!['9']).toBeGreaterThan(1);
    expect(Math.abs(pool.teamOffsets!['0']!)).toBeLessThan(0.5);
    const plain = new PoolLearner();
    for (const e of races(60, { gridWeight: 1, netWeight: 1, seed: 3 })) plain.observe(e);
    expect(plain.current().teamOffsets?.['9'] ?? 0).toBeLessThan(0.5);
  });

  it('resumes from its snapshot exactly: an update after a restore equals one without', () => {
    const all = races(40, { gridWeight: 1, netWeight: 1, seed: 4 });
    const a = new PoolLearner();
    for (const e of all.slice(0, 39)) a.observe(e);
    const b = PoolLearner.restore(JSON.parse(JSON.stringify(a.snapshot())));
    a.observe(all[39]!);
    b.observe(all[39]!);
    expect(b.current()).toEqual(a.current());
    expect(b.has(40)).toBe(true);
    expect(b.current().races).toBe(40);
  });

  it('starts as the grid lookup: log P(win | slot) at 1, the network off', () => {
    expect(new PoolLearner().current().strength).toEqual(defaultPoolSettings.start);
  });
});
