import type { ForecastReason } from '../domain/forecast.js';

/**
 * How a reader sees each feature: what it is and its value in its own unit. One table for
 * every model that explains itself with ForecastReason (the post-qualifying pool, the
 * pre-weekend model); a name not in it is shown as is.
 */

const signed = (v: number, digits = 1) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(digits)}`;
const pct = (v: number) => `${Math.round(v * 100)}%`;
const place = (v: number) => `P${Number.isInteger(v) ? v : v.toFixed(1)}`;
const lap = (v: number) => `${v.toFixed(2)}% off pole`;

interface FeatureText {
  label: string;
  format: (v: number) => string;
}

export const featureText: Record<string, FeatureText> = {
  qualiPosition: { label: 'grid slot', format: place },
  qualiPositionShare: { label: 'grid slot as a share of the field', format: pct },
  qualiGapPct: { label: "best qualifying lap against pole's", format: lap },
  sprintPosition: { label: 'sprint finish this weekend', format: place },
  driverFormPosition: { label: "driver's recent finishes, last 10 starts", format: (v) => `${place(Math.round(v * 10) / 10)} on average` },
  driverFormPoints: { label: "driver's points, last 10 starts", format: (v) => `${v.toFixed(1)} a race` },
  constructorFormPosition: { label: "team's recent finishes, last 20 starts", format: (v) => `${place(Math.round(v * 10) / 10)} on average` },
  constructorFormPoints: { label: "team's points, last 20 starts", format: (v) => `${v.toFixed(1)} a car a race` },
  driverDnfRate: { label: "driver's retirements, last 20 starts", format: pct },
  constructorMechanicalRate: { label: "team's mechanical failures, last 20 starts", format: pct },
  teammateQualiDelta: { label: 'qualifying against the teammate', format: (v) => (v === 0 ? 'level' : `${Math.abs(v)} place${Math.abs(v) === 1 ? '' : 's'} ${v < 0 ? 'ahead' : 'behind'}`) },
  teammateFinishShare: { label: 'recent races finished ahead of the teammate', format: pct },
  driverCircuitPosition: { label: "driver's finishes at this circuit, last 5 visits", format: (v) => `${place(Math.round(v * 10) / 10)} on average` },
  constructorCircuitPosition: { label: "team's finishes at this circuit, last 5 visits", format: (v) => `${place(Math.round(v * 10) / 10)} on average` },
  championshipPosition: { label: "driver's championship position", format: place },
  championshipPointsShare: { label: "driver's points against the leader's", format: pct },
  constructorChampionshipPosition: { label: "team's championship position", format: place },
  experience: { label: 'starts in the last 10 seasons', format: (v) => String(Math.round(Math.expm1(v))) },
  seasonProgress: { label: 'season progress', format: pct },
  circuitGridHold: { label: 'how well the grid holds at this circuit (grid–finish rank correlation)', format: (v) => v.toFixed(2) },
  teammateQualiGapPct: { label: "best qualifying lap against the teammate's", format: (v) => (v === 0 ? 'level' : `${Math.abs(v).toFixed(2)}% ${v < 0 ? 'faster' : 'slower'}`) },
  constructorQualiGapPct: { label: "team's one-lap pace, last 5 qualifyings", format: lap },
  constructorRaceGain: { label: "team's places gained from the grid, last 20 starts", format: (v) => `${signed(v)} a race` },
  teamOffset: { label: "team's pecking order in the latest races, beyond its form figures", format: (v) => `${signed(v, 2)} strength` },
};

/** Effects smaller than this (expected places) are noise, not a reason. */
export const MIN_REASON_EFFECT = 0.05;

/**
 * A reason in words and numbers. `effect` is in expected finishing places (negative: finishes
 * higher up); `against` is what the effect is measured from ("the grid suggests").
 */
export function reasonOf(feature: string, value: number | null, effect: number, against: string): ForecastReason {
  const t = featureText[feature];
  const label = t?.label ?? feature;
  const valueText = value === null || !Number.isFinite(value) ? 'unknown (imputed)' : (t?.format(value) ?? String(Math.round(value * 100) / 100));
  const size = Math.abs(effect);
  const effectText = size < MIN_REASON_EFFECT ? 'no real effect' : `≈ ${size.toFixed(1)} place${size.toFixed(1) === '1.0' ? '' : 's'} ${effect < 0 ? 'better' : 'worse'}`;
  return {
    feature,
    label,
    value: value === null || !Number.isFinite(value) ? null : value,
    valueText,
    effect: Math.round(effect * 1000) / 1000,
    effectText,
    text: `${label}: ${valueText}, ${effectText}${size < MIN_REASON_EFFECT ? '' : ` than ${against}`}`,
  };
}

/**
 * The whole departure from what the grid slot alone says, as one line ahead of the reasons: it
 * has the forecast's sign even where the per-feature reasons, which do not add up, point the
 * other way. A model term, so no value.
 */
export function overallReason(expected: number, fromSlot: number, against: string): ForecastReason {
  const effect = expected - fromSlot;
  const r = reasonOf('overall', null, effect, against);
  // The slot's own expected position is named: a pole-sitter's is not 1 (retirements, bad races), so "better" from P1 reads as a contradiction without it.
  const figures = `expected position ${expected.toFixed(1)}, against ${fromSlot.toFixed(1)} from the grid slot alone`;
  return {
    ...r,
    label: 'everything the model reads beyond the grid slot',
    valueText: figures,
    text: `in all: ${r.effectText}${Math.abs(effect) < MIN_REASON_EFFECT ? ', as the grid suggests' : ` than ${against}`} (${figures})`,
  };
}

/** The `count` biggest reasons by |effect|, leaving out those under MIN_REASON_EFFECT. */
export function topReasons(reasons: readonly ForecastReason[], count = 3): ForecastReason[] {
  return reasons
    .filter((r) => Math.abs(r.effect) >= MIN_REASON_EFFECT)
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect) || a.feature.localeCompare(b.feature))
    .slice(0, count);
}
