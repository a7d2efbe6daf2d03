import type { AnalyticsLap } from './inputs.js';

/**
 * A wet race, identified from the compounds used: at least this share of the field's laps
 * with a known compound were run on intermediates or full wets. 5% is a few laps of the whole
 * field (a shower, the 2023 Monaco finish) but not one car's gamble on inters.
 */
export const WET_LAP_SHARE = 0.05;

/** The share of a race's laps with a known compound that were on INTERMEDIATE or WET; null when no lap's compound is known. */
export function wetLapShare(laps: readonly Pick<AnalyticsLap, 'compound'>[]): number | null {
  const known = laps.filter((l) => l.compound != null && l.compound !== 'UNKNOWN');
  if (known.length === 0) return null;
  return known.filter((l) => l.compound === 'INTERMEDIATE' || l.compound === 'WET').length / known.length;
}

export const isWet = (share: number | null): boolean | null => (share === null ? null : share >= WET_LAP_SHARE);
