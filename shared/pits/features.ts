import { labelsAt, stopLaps, type LapLabels, type PitLap } from './labels.js';

/**
 * Lap features for the pit-stop model. Every feature of lap t uses only what is known
 * at the end of lap t: the car's own laps up to t and the field's laps up to t (the
 * field's median lap time on lap t is the race's representative pace on that lap).
 */
export const featureNames = [
  'present', // 1 for a real lap, 0 for window padding
  'relPace', // lap time / field median on that lap − 1
  'relPaceChange', // change from the previous lap
  'stintPaceLoss', // relPace − best green relPace in this stint so far (degradation)
  'position',
  'gapAhead',
  'gapBehind',
  'gapLeader',
  'soft',
  'medium',
  'hard',
  'intermediate',
  'wet',
  'tyreLife',
  'stint',
  'stopsSoFar',
  'twoCompoundsUsed',
  'progress',
  'lapsRemaining',
  'safetyCar',
  'virtualSafetyCar',
  'yellow',
  'redFlag',
  'outLap',
  'teammatePitted', // the teammate came into the pits at the end of lap t
  'carsPitted', // cars that came into the pits at the end of lap t
  'carsPittedRecently', // ... at the end of laps t−2..t
  'fieldAheadOnStops', // share of the other cars that have made more stops
  'stintLengthRatio', // tyre life / median length of stints on this compound ended in this race so far
  'circuitStintRatio', // laps into the stint / median stint length at this circuit in earlier seasons (0 unknown)
  'circuitFirstStopRatio', // lap / median first-stop lap at this circuit in earlier seasons (0 unknown)
  'circuitStops', // median stops per car at this circuit in earlier seasons / 3 (0 unknown)
] as const;
export const featureCount = featureNames.length;

export interface RaceInput {
  raceId: number;
  /** Scheduled race distance (known before the start). */
  totalLaps: number;
  laps: PitLap[];
  /** driverId → constructorId, to find teammates. */
  teams: Map<number, number>;
  /** Pit history of the circuit from earlier seasons (known before the race), if any. */
  circuit?: CircuitPitHistory;
}

export interface CircuitPitHistory {
  medianStint: number;
  medianFirstStop: number;
  medianStops: number;
}

export interface DriverSequence {
  raceId: number;
  driverId: number;
  laps: number[];
  /** Feature vectors, one per entry of `laps`. */
  features: Float32Array[];
  labels: LapLabels[];
  stops: number[];
}

export const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const clip = (x: number, lo: number, hi: number) => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : 0);
const has = (status: string | null, digit: string) => (status ?? '').includes(digit);
const compoundIndex: Record<string, number> = { SOFT: 8, MEDIUM: 9, HARD: 10, INTERMEDIATE: 11, WET: 12 };
const dry = new Set(['SOFT', 'MEDIUM', 'HARD']);

/** One sequence per driver: features and labels for every lap the car completed. */
export function buildSequences(race: RaceInput): DriverSequence[] {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of race.laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  for (const laps of byDriver.values()) laps.sort((a, b) => a.lap - b.lap);

  const stopsOf = new Map<number, number[]>();
  for (const [d, laps] of byDriver) stopsOf.set(d, stopLaps(laps));
  // Cars seen entering the pits at the end of each lap: the raw pit-in flag (a stop's
  // verdict needs the next lap); without flags, the stop of the lap before.
  const stopsOnLap = new Map<number, number[]>();
  for (const [d, laps] of byDriver) {
    const stops = stopsOf.get(d)!;
    for (const l of laps) {
      const entered = l.pitIn != null ? l.pitIn : stops.includes(l.lap - 1);
      if (entered) stopsOnLap.set(l.lap, [...(stopsOnLap.get(l.lap) ?? []), d]);
    }
  }

  // Stops known by lap t (a stop's verdict needs its next lap, so stops before t), with
  // the tyre life and compound of the stint they ended.
  const stopEvents: { lap: number; driverId: number; compound: string | null; tyreLife: number | null }[] = [];
  for (const [d, laps] of byDriver) {
    for (const s of stopsOf.get(d)!) {
      const l = laps.find((x) => x.lap === s);
      stopEvents.push({ lap: s, driverId: d, compound: l?.compound ?? null, tyreLife: l?.tyreLife ?? null });
    }
  }

  // Field median lap time per lap, and cumulative race time per car (missing lap times
  // filled with that lap's median) for gaps.
  const timesOnLap = new Map<number, number[]>();
  for (const l of race.laps) if (l.timeMs) timesOnLap.set(l.lap, [...(timesOnLap.get(l.lap) ?? []), l.timeMs]);
  const fieldMedian = new Map([...timesOnLap].map(([lap, ts]) => [lap, median(ts)]));
  const elapsed = new Map<string, number>();
  for (const [d, laps] of byDriver) {
    let sum = 0;
    for (const l of laps) {
      sum += l.timeMs ?? fieldMedian.get(l.lap) ?? 0;
      elapsed.set(`${d}/${l.lap}`, sum);
    }
  }
  const orderOnLap = new Map<number, number[]>();
  for (const [key, t] of elapsed) {
    const lap = Number(key.split('/')[1]);
    orderOnLap.set(lap, [...(orderOnLap.get(lap) ?? []), t]);
  }
  for (const ts of orderOnLap.values()) ts.sort((a, b) => a - b);

  const out: DriverSequence[] = [];
  for (const [driverId, laps] of byDriver) {
    const stops = stopsOf.get(driverId)!;
    const team = race.teams.get(driverId);
    const mates = [...race.teams].filter(([d, c]) => c === team && d !== driverId).map(([d]) => d);
    const features: Float32Array[] = [];
    const labels: LapLabels[] = [];
    let prevRel = 0;
    let stintBest = Infinity;
    let stint = 1;
    const compoundsUsed = new Set<string>();
    for (let i = 0; i < laps.length; i++) {
      const l = laps[i]!;
      const f = new Float32Array(featureCount);
      const stopsSoFar = stops.filter((s) => s < l.lap).length;
      const newStint = stopsSoFar + 1;
      if (newStint !== stint) {
        stint = newStint;
        stintBest = Infinity;
      }
      const med = fieldMedian.get(l.lap);
      const rel = l.timeMs && med ? clip(l.timeMs / med - 1, -0.3, 1) : 0;
      const green = !has(l.trackStatus, '4') && !has(l.trackStatus, '6') && !has(l.trackStatus, '5') && !l.pitOut && !l.pitIn;
      if (green && l.timeMs) stintBest = Math.min(stintBest, rel);
      if (l.compound && dry.has(l.compound)) compoundsUsed.add(l.compound);
      const myTime = elapsed.get(`${driverId}/${l.lap}`)!;
      const order = orderOnLap.get(l.lap)!;
      const rank = order.indexOf(myTime);
      const ahead = rank > 0 ? order[rank - 1]! : NaN;
      const behind = rank < order.length - 1 ? order[rank + 1]! : NaN;
      f[0] = 1;
      f[1] = rel * 10;
      f[2] = i === 0 ? 0 : clip(rel - prevRel, -0.5, 0.5) * 10;
      f[3] = Number.isFinite(stintBest) ? clip(rel - stintBest, -0.2, 0.5) * 10 : 0;
      f[4] = (l.position ?? rank + 1) / 20;
      f[5] = Number.isNaN(ahead) ? 1 : clip((myTime - ahead) / 30_000, 0, 1);
      f[6] = Number.isNaN(behind) ? 1 : clip((behind - myTime) / 30_000, 0, 1);
      f[7] = clip((myTime - order[0]!) / 120_000, 0, 1);
      const ci = l.compound ? compoundIndex[l.compound] : undefined;
      if (ci !== undefined) f[ci] = 1;
      f[13] = clip((l.tyreLife ?? 0) / 40, 0, 2);
      f[14] = (l.stint ?? stint) / 4;
      f[15] = stopsSoFar / 3;
      f[16] = compoundsUsed.size >= 2 ? 1 : 0;
      f[17] = clip(l.lap / race.totalLaps, 0, 1.2);
      f[18] = clip((race.totalLaps - l.lap) / 70, -0.2, 1.2);
      f[19] = has(l.trackStatus, '4') ? 1 : 0;
      f[20] = has(l.trackStatus, '6') || has(l.trackStatus, '7') ? 1 : 0;
      f[21] = has(l.trackStatus, '2') ? 1 : 0;
      f[22] = has(l.trackStatus, '5') ? 1 : 0;
      f[23] = l.pitOut ? 1 : 0;
      const pittedNow = stopsOnLap.get(l.lap) ?? [];
      f[24] = mates.some((m) => pittedNow.includes(m)) ? 1 : 0;
      f[25] = pittedNow.length / 5;
      f[26] = [l.lap - 2, l.lap - 1, l.lap].reduce((n, k) => n + (stopsOnLap.get(k)?.length ?? 0), 0) / 10;
      const known = stopEvents.filter((e) => e.lap < l.lap);
      const others = byDriver.size - 1;
      const stopsBy = new Map<number, number>();
      for (const e of known) stopsBy.set(e.driverId, (stopsBy.get(e.driverId) ?? 0) + 1);
      f[27] = others > 0 ? [...stopsBy].filter(([d, n]) => d !== driverId && n > stopsSoFar).length / others : 0;
      const ended = known.filter((e) => e.compound === l.compound && e.tyreLife != null).map((e) => e.tyreLife!);
      f[28] = ended.length > 0 && l.tyreLife != null ? clip(l.tyreLife / Math.max(1, median(ended)), 0, 2) : 0;
      const c = race.circuit;
      const stintStart = stops.filter((x) => x < l.lap).at(-1) ?? 0;
      f[29] = c ? clip((l.lap - stintStart) / Math.max(1, c.medianStint), 0, 3) : 0;
      f[30] = c ? clip(l.lap / Math.max(1, c.medianFirstStop), 0, 3) : 0;
      f[31] = c ? c.medianStops / 3 : 0;
      prevRel = rel;
      features.push(f);
      labels.push(labelsAt(stops, l.lap));
    }
    out.push({ raceId: race.raceId, driverId, laps: laps.map((l) => l.lap), features, labels, stops });
  }
  return out;
}

/**
 * The window for the entry at `index`: the last `w` laps up to and including it, left
 * padded with zeros (present = 0). Never a later lap.
 */
export function windowAt(seq: DriverSequence, index: number, w: number): Float32Array {
  const out = new Float32Array(w * featureCount);
  const from = Math.max(0, index - w + 1);
  for (let i = from; i <= index; i++) out.set(seq.features[i]!, (w - (index - i) - 1) * featureCount);
  return out;
}

/** The windows of one lap: one per car that ran it, as the forecast at that lap reads them. */
export interface LapWindows {
  lap: number;
  rows: { driverId: number; window: Float32Array }[];
  /** Built from the race cut at the lap (the whole race's features differ there), not from the whole race. */
  rebuilt: boolean;
}

/**
 * A stored race replayed lap by lap without rebuilding it per lap: for lap t, every car
 * with a lap t gets windowAt(seq, index of t, w) of buildSequences(laps ≤ t), taken from
 * the sequences of the whole race where those are the same.
 *
 * Every feature of lap l ≤ t reads laps ≤ l, except two inputs the cut race changes:
 * - fieldAheadOnStops divides by the cars in the race, i.e. the cars with a lap ≤ t (a
 *   car whose first lap in the data is later is not in the cut race);
 * - stops derived without stored verdicts (pit_stop null) take the car's last lap in the
 *   cut race as its last (a pit-in there is no stop) and can differ for laps before t.
 * A lap where either differs from the whole race is built from the race cut at it, as
 * the per-lap forecast does; every other lap reads the whole race's sequences. Lazy: a
 * caller can yield to the event loop between laps.
 */
export function* replayWindows(race: RaceInput, w: number, laps: Iterable<number>, sequences: DriverSequence[] = buildSequences(race)): Generator<LapWindows> {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of race.laps) {
    const list = byDriver.get(l.driverId);
    if (list) list.push(l);
    else byDriver.set(l.driverId, [l]);
  }
  for (const list of byDriver.values()) list.sort((a, b) => a.lap - b.lap);
  const firstLaps = [...byDriver.values()].map((list) => list[0]!.lap);
  const fullStops = new Map(sequences.map((s) => [s.driverId, s.stops]));
  // Only cars with a lap lacking a stored verdict derive stops (a stored verdict wins).
  const deriving = [...byDriver].filter(([, list]) => list.some((l) => l.pitStop == null));
  const sameAsWholeRace = (t: number) => {
    if (firstLaps.some((first) => first > t)) return false;
    for (const [driverId, list] of deriving) {
      const cut = list.filter((l) => l.lap <= t);
      if (cut.length === 0) continue;
      const before = (xs: number[]) => xs.filter((s) => s < t).join();
      if (before(stopLaps(cut)) !== before(fullStops.get(driverId)!)) return false;
    }
    return true;
  };
  for (const t of laps) {
    const rebuilt = !sameAsWholeRace(t);
    const seqs = rebuilt ? buildSequences({ ...race, laps: race.laps.filter((l) => l.lap <= t) }) : sequences;
    const rows: LapWindows['rows'] = [];
    for (const seq of seqs) {
      const index = seq.laps.indexOf(t);
      if (index >= 0) rows.push({ driverId: seq.driverId, window: windowAt(seq, index, w) });
    }
    yield { lap: t, rows, rebuilt };
  }
}
