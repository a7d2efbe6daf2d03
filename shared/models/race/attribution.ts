import type { DriverForecast, ForecastReason } from '../../domain/forecast.js';
import type { RaceFeatures } from '../../features/race-features.js';
import { overallReason, reasonOf, topReasons } from '../../features/feature-labels.js';
import { tf } from '../tf.js';
import { sigmoid } from './calibrate.js';
import { poolDnf, poolStrengths, type PoolCoefficients } from './pool.js';
import { POOL_BAD_RACE, simulatePoolField, type PoolInputs } from './pooled-model.js';
import { encodeDriver, type RaceModel } from './race-model.js';

/**
 * Why the pooled forecast departs from the grid (issue 17). A driver's strength is
 * s = Σ c_g·grid_g(slot) + b·(net − mean net) + teamOffset: the grid terms are what the slot
 * alone would say, the rest is the model's departure from it. That departure is split into
 * feature attributions by occlusion: the network's strength with one feature (its standardised
 * value and its missing indicator) set to the field's mean for this race, against as observed,
 * times b. Occlusion rather than integrated gradients: it needs no gradients of the tfjs graph,
 * costs one batched predict (entrants × features rows), and reads the same network the forecast
 * did. The field's mean rather than the training mean, because the departure itself is relative
 * to the field (net − mean net): for a linear network the attributions then add up to it
 * exactly, and a feature every entrant shares (season progress, the circuit) explains nothing.
 * The team offset is its own reason, relative to the field's mean offset. The network's reading
 * of the grid slot counts as the grid's (GRID_SLOT).
 *
 * Each strength change is read as places: the driver's expected finishing position with it
 * against without it, computed exactly under the simulation's model (expectedPosition), so a
 * reason says "≈ 0.8 places better than the grid suggests".
 */

/**
 * The network's own reading of the grid slot (qualiPosition and its share of the field) is part
 * of what the grid slot alone says, not a departure from it: on the 2017–2023 fit the pool leaves
 * most of the grid to the network (b ≈ 1.7, small grid-term coefficients), and "grid slot P1:
 * 1.3 places better than the grid suggests" explains nothing. Those features are no reason.
 * (The qualifying lap's gap to pole is: it is pace, not the slot.)
 */
const GRID_SLOT = new Set(['qualiPosition', 'qualiPositionShare']);

const AGAINST = 'the grid suggests';

/**
 * Expected finishing position of driver i under simulate.ts's model, in closed form: each
 * driver independently retires (pDnf) and has a bad race (badRace: runs at the field's weakest
 * strength); finishers come before retirements, and within each group Gumbel-max ordering puts
 * k ahead of i with probability σ(s_k − s_i). E[position] = 1 + Σ_k P(k ahead of i).
 */
export function expectedPosition(i: number, strengths: readonly number[], pDnf: readonly number[], badRace = 0): number {
  const weakest = Math.min(...strengths);
  const states = (x: number) =>
    [
      { dnf: false, s: strengths[x]!, p: (1 - pDnf[x]!) * (1 - badRace) },
      { dnf: false, s: weakest, p: (1 - pDnf[x]!) * badRace },
      { dnf: true, s: strengths[x]!, p: pDnf[x]! * (1 - badRace) },
      { dnf: true, s: weakest, p: pDnf[x]! * badRace },
    ].filter((st) => st.p > 0);
  const mine = states(i);
  let e = 1;
  for (let k = 0; k < strengths.length; k++) {
    if (k === i) continue;
    for (const a of mine) {
      for (const b of states(k)) {
        const ahead = a.dnf === b.dnf ? sigmoid(b.s - a.s) : b.dnf ? 0 : 1;
        e += a.p * b.p * ahead;
      }
    }
  }
  return e;
}

/** Places gained (negative) or lost by driver i through a strength contribution `delta`: with it against without it. */
export function placesOf(i: number, delta: number, strengths: readonly number[], pDnf: readonly number[], badRace: number): number {
  const without = strengths.map((s, k) => (k === i ? s - delta : s));
  return expectedPosition(i, strengths, pDnf, badRace) - expectedPosition(i, without, pDnf, badRace);
}

/**
 * Every entrant's reasons: first the whole departure from what the grid slot alone says (the
 * attributions below are not additive and leave the slot out, so only this line carries the
 * forecast's sign), then the `count` biggest by |effect|.
 */
export function explainPooled(model: RaceModel, pool: PoolCoefficients & { badRace?: number }, features: RaceFeatures, inputs: PoolInputs, count = 3): ForecastReason[][] {
  const n = features.drivers.length;
  if (n === 0) return [];
  const names = model.spec.featureNames;
  const F = names.length;
  const groups = names.flatMap((lead, j) => (GRID_SLOT.has(lead) ? [] : [{ lead, cols: [j] }]));

  const enc = features.drivers.map((d) => encodeDriver(model.spec, d.values).input);
  const width = enc[0]!.length;
  const fieldMean = Array.from({ length: width }, (_, k) => enc.reduce((s, row) => s + row[k]!, 0) / n);
  const rows: number[][] = [];
  for (const row of enc) {
    // The grid slot alone as the network reads it: every other feature at the field's mean.
    rows.push(row.map((v, k) => (GRID_SLOT.has(names[k % F]!) ? v : fieldMean[k]!)));
    for (const g of groups) {
      const occluded = [...row];
      for (const j of g.cols) {
        occluded[j] = fieldMean[j]!;
        occluded[F + j] = fieldMean[F + j]!;
      }
      rows.push(occluded);
    }
  }
  const occludedNet = tf.tidy(() => (model.net.predict(tf.tensor2d(rows)) as tf.Tensor).slice([0, 0], [-1, 1]).dataSync());

  const strengths = poolStrengths(pool, inputs);
  const pDnf = poolDnf(pool, inputs.dnfLogit);
  const badRace = pool.badRace ?? POOL_BAD_RACE;
  const b = pool.strength.at(-1)!;
  const offsets = pool.teamOffsets;
  const offsetOf = (i: number) => offsets?.[String(inputs.teams[i])] ?? 0;
  const meanOffset = offsets ? inputs.teams.reduce((s, _, i) => s + offsetOf(i), 0) / n : 0;
  const stride = groups.length + 1;
  // What the grid slot alone says: the grid terms and the network's reading of the slot, no team offset.
  const slotNet = inputs.net.map((_, i) => occludedNet[i * stride]!);
  const slotStrengths = poolStrengths({ strength: pool.strength, dnf: pool.dnf }, { ...inputs, net: slotNet });

  return features.drivers.map((d, i) => {
    const reasons = groups.map((g, k) => {
      const delta = b * (inputs.net[i]! - occludedNet[i * stride + k + 1]!);
      return reasonOf(g.lead, d.values[g.cols[0]!] ?? null, placesOf(i, delta, strengths, pDnf, badRace), AGAINST);
    });
    if (offsets) reasons.push(reasonOf('teamOffset', offsetOf(i), placesOf(i, offsetOf(i) - meanOffset, strengths, pDnf, badRace), AGAINST));
    const overall = overallReason(expectedPosition(i, strengths, pDnf, badRace), expectedPosition(i, slotStrengths, pDnf, badRace), AGAINST);
    return [overall, ...topReasons(reasons, count)];
  });
}

/**
 * The pooled forecast as the forecaster serves it: predictPooled's entries with their reasons,
 * and the head-to-head shares of the same sampled orders (drivers order).
 */
export function explainedPooledForecast(model: RaceModel, pool: PoolCoefficients & { badRace?: number }, features: RaceFeatures, inputs: PoolInputs): { drivers: DriverForecast[]; headToHead: number[][] } {
  const sim = simulatePoolField(model.spec, pool, features, inputs);
  const reasons = explainPooled(model, pool, features, inputs);
  return { drivers: sim.drivers.map((d, i) => ({ ...d, reasons: reasons[i]! })), headToHead: sim.headToHead! };
}
