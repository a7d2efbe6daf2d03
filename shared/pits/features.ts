import { createHash } from 'node:crypto';
import { countUpTo, decisionTimes, lapEnds, statusOfDigit, type TimedInput, type TrackEvent } from './decision-point.js';
import { labelsAt, stopLaps, type LapLabels, type PitLap } from './labels.js';
import { median, slope } from '../evaluation/metrics.js';

/**
 * Lap features for the pit-stop model. The features of lap t are those of the decision
 * "pit at the end of lap t+1", taken at its decision point D (decision-point.ts): only
 * inputs timestamped at or before D (see buildSequences).
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
  // Known at the decision point D (decision-point.ts), not at the end of lap t:
  'scNew', // SC seen since the end of lap t (laps of any car ended in (end of t, D], race control) and not on lap t
  'vscNew',
  'redNew',
  'scNow', // the latest status known at D (the latest lap of any car or race-control message)
  'vscNow',
  'redNow',
  'yellowNow',
  'carsPittedThisLap', // cars seen entering the pits at the end of lap t+1 by D (cars well ahead)
  'teammatePittedThisLap',
  'aheadPitted', // the car ahead on lap t came in at the end of lap t or t+1 (known by D)
  'behindPitted', // the car behind came in at the end of lap t−1 or t: the undercut is on
  'gapAheadPitLoss', // gap to the car ahead / the circuit's pit loss
  'gapBehindPitLoss',
  'placesLostByStop', // cars behind within a pit loss (a stop now drops behind them) / 10
  'pitLoss', // the circuit's pit loss / 30 s
  'stintSlope', // lap-time trend on this tyre: slope of relPace over the stint's green laps, ‰ per lap
  'stintSlopeLaps', // green laps in that slope / 20
  'owesCompound', // dry race, one dry compound used: a second is still owed
  'owesUrgency', // ... against the laps remaining
  'compoundStintRatio', // tyre life / median stint on this compound at this circuit in earlier seasons (0 unknown)
] as const;
export const featureCount = featureNames.length;
/** The feature list's fingerprint, registered with each pit model: a model on another list is not served these features. */
export const featureSetId = createHash('sha1').update(featureNames.join(',')).digest('hex').slice(0, 12);

export interface RaceInput {
  raceId: number;
  /** Scheduled race distance (known before the start). */
  totalLaps: number;
  laps: PitLap[];
  /** driverId → constructorId, to find teammates. */
  teams: Map<number, number>;
  /** What is known of the circuit before the race: pit history, pit loss. */
  circuit?: CircuitInput;
  /** Race-control track status changes on the race clock (live: OpenF1 race control); each known at its atMs. */
  trackEvents?: TrackEvent[];
}

export interface CircuitPitHistory {
  medianStint: number;
  medianFirstStop: number;
  medianStops: number;
}

export interface CircuitInput extends Partial<CircuitPitHistory> {
  /** Time a stop costs at this circuit (in-lap + out-lap − 2 × green pace), from earlier seasons' laps. */
  pitLossMs?: number;
  /** Median length of stints ended by a stop, per dry compound, from earlier seasons' laps. */
  medianStintByCompound?: Record<string, number>;
}

/** Pit loss where the circuit has no history (the usual 20–24 s). */
export const defaultPitLossMs = 22_000;

export interface DriverSequence {
  raceId: number;
  driverId: number;
  laps: number[];
  /** Feature vectors, one per entry of `laps`. */
  features: Float32Array[];
  labels: LapLabels[];
  stops: number[];
  /** The decision point of each entry (race-clock ms): its features use nothing known later. */
  decisionMs: number[];
  /** The latest timestamp among each entry's inputs (≤ its decisionMs). */
  latestInputMs: number[];
  /** With `trace`: every input of each entry with its timestamp. */
  inputs?: TimedInput[][];
}

export interface BuildOptions {
  /** Record every input of every entry (tests of the timing rule). */
  trace?: boolean;
  marginMs?: number;
}

// The metrics' one median and slope (shared/evaluation/metrics.ts); median is re-exported for the pit tests.
export { median };
const clip = (x: number, lo: number, hi: number) => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : 0);
const has = (status: string | null, digit: string) => (status ?? '').includes(digit);
const compoundIndex: Record<string, number> = { SOFT: 8, MEDIUM: 9, HARD: 10, INTERMEDIATE: 11, WET: 12 };
const dry = new Set(['SOFT', 'MEDIUM', 'HARD']);
const at = (name: (typeof featureNames)[number]) => featureNames.indexOf(name);
const F = Object.fromEntries(featureNames.map((n) => [n, at(n)])) as Record<(typeof featureNames)[number], number>;

/** A lap row on the race clock. */
interface Row {
  driverId: number;
  index: number;
  endMs: number;
  lap: PitLap;
}

/**
 * One sequence per driver: features and labels for every lap the car completed. The
 * features of lap t are those of the decision "pit at the end of lap t+1", taken at its
 * decision point D (decision-point.ts): the car's own laps up to t, the laps of other cars
 * that ended by D (cars well ahead may have finished lap t+1), stop verdicts known by D (a
 * stop's verdict needs the car's next lap), race-control events up to D, and what was known
 * of the circuit before the start. Nothing timestamped after D, so the features do not
 * depend on where the race data is cut after it.
 */
export function buildSequences(race: RaceInput): DriverSequence[] {
  return buildSequencesWith(race, {});
}

/** buildSequences with options (a separate name: `races.flatMap(buildSequences)` passes an index). */
export function buildSequencesWith(race: RaceInput, o: BuildOptions): DriverSequence[] {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of race.laps) {
    const list = byDriver.get(l.driverId);
    if (list) list.push(l);
    else byDriver.set(l.driverId, [l]);
  }
  for (const laps of byDriver.values()) laps.sort((a, b) => a.lap - b.lap);
  const stopsOf = new Map<number, number[]>();
  for (const [d, laps] of byDriver) stopsOf.set(d, stopLaps(laps));

  // The race clock: cumulative lap times; a missing time (a hole in the source; the car
  // did cross the line) is filled with the car's previous lap, else that lap's field median.
  const timesOnLap = new Map<number, number[]>();
  for (const l of race.laps) if (l.timeMs) timesOnLap.set(l.lap, [...(timesOnLap.get(l.lap) ?? []), l.timeMs]);
  const fillMedian = new Map([...timesOnLap].map(([lap, ts]) => [lap, median(ts)]));
  const ends = new Map<number, number[]>();
  const decisions = new Map<number, number[]>();
  const rows: Row[] = [];
  for (const [d, laps] of byDriver) {
    const e = lapEnds(laps, (lap, previous) => previous ?? fillMedian.get(lap) ?? 90_000);
    ends.set(d, e);
    decisions.set(d, decisionTimes(laps, e, o.marginMs));
    laps.forEach((lap, index) => rows.push({ driverId: d, index, endMs: e[index]!, lap }));
  }
  rows.sort((a, b) => a.endMs - b.endMs);
  const rowEnds = rows.map((r) => r.endMs);
  const rowsByLap = new Map<number, Row[]>();
  for (const r of rows) {
    const list = rowsByLap.get(r.lap.lap);
    if (list) list.push(r);
    else rowsByLap.set(r.lap.lap, [r]);
  }

  // Cars seen entering the pit lane at the end of a lap, known at that lap's end: the raw
  // pit-in flag (a stop's verdict needs the next lap); without flags, the stop of the lap
  // before, seen at the end of the out-lap.
  const entries = new Map<number, { driverId: number; atMs: number }[]>();
  const addEntry = (lap: number, driverId: number, atMs: number) => entries.set(lap, [...(entries.get(lap) ?? []), { driverId, atMs }]);
  // Stops (tyres changed) with the tyre life and compound of the stint they ended, known
  // at the end of the car's next lap.
  const stopEvents: { lap: number; driverId: number; atMs: number; compound: string | null; tyreLife: number | null }[] = [];
  for (const [d, laps] of byDriver) {
    const stops = stopsOf.get(d)!;
    const e = ends.get(d)!;
    laps.forEach((l, i) => {
      if (l.pitIn != null) {
        if (l.pitIn) addEntry(l.lap, d, e[i]!);
      } else if (stops.includes(l.lap - 1)) addEntry(l.lap - 1, d, e[i]!);
      if (stops.includes(l.lap)) stopEvents.push({ lap: l.lap, driverId: d, atMs: e[i + 1] ?? Infinity, compound: l.compound ?? null, tyreLife: l.tyreLife ?? null });
    });
  }
  const events = [...(race.trackEvents ?? [])].sort((a, b) => a.atMs - b.atMs);
  const eventTimes = events.map((e) => e.atMs);
  const firstKnown = [...byDriver.keys()].map((d) => ({ driverId: d, atMs: ends.get(d)![0]! }));
  const pitLoss = race.circuit?.pitLossMs ?? defaultPitLossMs;

  const out: DriverSequence[] = [];
  for (const [driverId, laps] of byDriver) {
    const stops = stopsOf.get(driverId)!;
    const myEnds = ends.get(driverId)!;
    const myDecisions = decisions.get(driverId)!;
    const team = race.teams.get(driverId);
    const mates = [...race.teams].filter(([d, c]) => c === team && d !== driverId).map(([d]) => d);
    const features: Float32Array[] = [];
    const labels: LapLabels[] = [];
    const latestInputMs: number[] = [];
    const inputs: TimedInput[][] | undefined = o.trace ? [] : undefined;
    let prevRel = 0;
    let stintBest = Infinity;
    let stint = 1;
    let stintXs: number[] = [];
    let stintYs: number[] = [];
    const compoundsUsed = new Set<string>();
    let wetUsed = false;
    for (let i = 0; i < laps.length; i++) {
      const l = laps[i]!;
      const D = myDecisions[i]!;
      const E = myEnds[i]!;
      let latest = -Infinity;
      const traced: TimedInput[] | undefined = inputs ? [] : undefined;
      // Every input goes through here with its timestamp (described only when traced).
      const use = (what: () => string, atMs: number) => {
        if (atMs > latest) latest = atMs;
        traced?.push({ what: what(), atMs });
      };
      // A row is known at D if it ended by then; the car's own later laps never are.
      const known = (r: Row) => r.endMs <= D && (r.driverId !== driverId || r.index <= i);
      use(() => `own laps 1..${l.lap}`, E);
      use(() => 'circuit history', 0);

      const f = new Float32Array(featureCount);
      const stopsSoFar = stops.filter((s) => s < l.lap).length;
      const newStint = stopsSoFar + 1;
      if (newStint !== stint) {
        stint = newStint;
        stintBest = Infinity;
        stintXs = [];
        stintYs = [];
      }
      const lapRows = (rowsByLap.get(l.lap) ?? []).filter(known);
      for (const r of lapRows) use(() => `lap ${l.lap} of car ${r.driverId}`, r.endMs);
      const med = median(lapRows.filter((r) => r.lap.timeMs).map((r) => r.lap.timeMs!));
      const rel = l.timeMs && med ? clip(l.timeMs / med - 1, -0.3, 1) : 0;
      const green = !has(l.trackStatus, '4') && !has(l.trackStatus, '6') && !has(l.trackStatus, '5') && !l.pitOut && !l.pitIn;
      if (green && l.timeMs) stintBest = Math.min(stintBest, rel);
      if (green && l.timeMs && med && l.lap > 1) {
        stintXs.push(l.lap);
        stintYs.push(rel);
      }
      if (l.compound && dry.has(l.compound)) compoundsUsed.add(l.compound);
      if (l.compound === 'INTERMEDIATE' || l.compound === 'WET') wetUsed = true;
      const rank = lapRows.findIndex((r) => r.driverId === driverId);
      const ahead = rank > 0 ? lapRows[rank - 1] : undefined;
      const behind = lapRows[rank + 1];
      const gapAhead = ahead ? E - ahead.endMs : NaN;
      // A car behind not seen yet at D is at least D − E behind.
      const gapBehind = behind ? behind.endMs - E : D - E;
      f[0] = 1;
      f[1] = rel * 10;
      f[2] = i === 0 ? 0 : clip(rel - prevRel, -0.5, 0.5) * 10;
      f[3] = Number.isFinite(stintBest) ? clip(rel - stintBest, -0.2, 0.5) * 10 : 0;
      f[4] = (l.position ?? rank + 1) / 20;
      f[5] = ahead ? clip(gapAhead / 30_000, 0, 1) : 1;
      f[6] = clip(gapBehind / 30_000, 0, 1);
      f[7] = clip((E - lapRows[0]!.endMs) / 120_000, 0, 1);
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

      // Pit entries known at D (the car's own entry at the end of lap t+1 is its label).
      const entered = (lap: number) =>
        (entries.get(lap) ?? []).filter((e) => e.atMs <= D && (e.driverId !== driverId || lap <= l.lap)).map((e) => (use(() => `pit entry of car ${e.driverId} on lap ${lap}`, e.atMs), e.driverId));
      const pittedNow = entered(l.lap);
      const pittedNext = entered(l.lap + 1);
      f[24] = mates.some((m) => pittedNow.includes(m)) ? 1 : 0;
      f[25] = pittedNow.length / 5;
      f[26] = (entered(l.lap - 2).length + entered(l.lap - 1).length + pittedNow.length) / 10;
      const knownStops = stopEvents.filter((e) => (e.driverId === driverId ? e.lap < l.lap : e.atMs <= D));
      for (const e of knownStops) use(() => `stop of car ${e.driverId} on lap ${e.lap}`, e.driverId === driverId ? E : e.atMs);
      const others = firstKnown.filter((c) => c.driverId !== driverId && c.atMs <= D).length;
      const stopsBy = new Map<number, number>();
      for (const e of knownStops) stopsBy.set(e.driverId, (stopsBy.get(e.driverId) ?? 0) + 1);
      f[27] = others > 0 ? [...stopsBy].filter(([d, n]) => d !== driverId && n > stopsSoFar).length / others : 0;
      const ended = knownStops.filter((e) => e.compound === l.compound && e.tyreLife != null).map((e) => e.tyreLife!);
      f[28] = ended.length > 0 && l.tyreLife != null ? clip(l.tyreLife / Math.max(1, median(ended)), 0, 2) : 0;
      const c = race.circuit;
      const stintStart = stops.filter((x) => x < l.lap).at(-1) ?? 0;
      f[29] = c?.medianStint !== undefined ? clip((l.lap - stintStart) / Math.max(1, c.medianStint), 0, 3) : 0;
      f[30] = c?.medianFirstStop !== undefined ? clip(l.lap / Math.max(1, c.medianFirstStop), 0, 3) : 0;
      f[31] = c?.medianStops !== undefined ? c.medianStops / 3 : 0;

      // Track status at D: laps of any car that ended since my lap t, and race control.
      const since = rows.slice(countUpTo(rowEnds, E), countUpTo(rowEnds, D)).filter(known);
      const sinceEvents = events.slice(countUpTo(eventTimes, E), countUpTo(eventTimes, D));
      for (const r of since) use(() => `lap ${r.lap.lap} of car ${r.driverId}`, r.endMs);
      for (const e of sinceEvents) use(() => `race control ${e.status}`, e.atMs);
      const seen = (digits: string[], status: string) => since.some((r) => digits.some((d) => has(r.lap.trackStatus, d))) || sinceEvents.some((e) => e.status === status);
      f[F.scNew] = !has(l.trackStatus, '4') && seen(['4'], 'sc') ? 1 : 0;
      f[F.vscNew] = !has(l.trackStatus, '6') && !has(l.trackStatus, '7') && seen(['6'], 'vsc') ? 1 : 0;
      f[F.redNew] = !has(l.trackStatus, '5') && seen(['5'], 'red') ? 1 : 0;
      let lastRow: Row | undefined;
      for (let k = countUpTo(rowEnds, D) - 1; k >= 0 && !lastRow; k--) if (known(rows[k]!)) lastRow = rows[k];
      const lastEvent = events[countUpTo(eventTimes, D) - 1];
      const now =
        lastEvent && (!lastRow || lastEvent.atMs >= lastRow.endMs) ? (use(() => 'race control', lastEvent.atMs), lastEvent.status) : statusOfDigit(lastRow?.lap.trackStatus?.at(-1));
      if (lastRow) use(() => `lap ${lastRow.lap.lap} of car ${lastRow.driverId}`, lastRow.endMs);
      f[F.scNow] = now === 'sc' ? 1 : 0;
      f[F.vscNow] = now === 'vsc' ? 1 : 0;
      f[F.redNow] = now === 'red' ? 1 : 0;
      f[F.yellowNow] = now === 'yellow' ? 1 : 0;

      // Rivals and the teammate: who came in around me, the undercut and the pit loss.
      f[F.carsPittedThisLap] = pittedNext.length / 5;
      f[F.teammatePittedThisLap] = mates.some((m) => pittedNext.includes(m)) ? 1 : 0;
      f[F.aheadPitted] = ahead && (pittedNow.includes(ahead.driverId) || pittedNext.includes(ahead.driverId)) ? 1 : 0;
      f[F.behindPitted] = behind && (pittedNow.includes(behind.driverId) || entered(l.lap - 1).includes(behind.driverId)) ? 1 : 0;
      f[F.gapAheadPitLoss] = ahead ? clip(gapAhead / pitLoss, 0, 2) : 2;
      f[F.gapBehindPitLoss] = clip(gapBehind / pitLoss, 0, 2);
      f[F.placesLostByStop] = lapRows.slice(rank + 1).filter((r) => r.endMs - E < pitLoss).length / 10;
      f[F.pitLoss] = pitLoss / 30_000;

      // Degradation on this tyre and the two-compound rule.
      const s = slope(stintXs, stintYs);
      f[F.stintSlope] = Number.isNaN(s) ? 0 : clip(s * 1000, -3, 3);
      f[F.stintSlopeLaps] = clip(stintXs.length / 20, 0, 1);
      const owes = !wetUsed && compoundsUsed.size === 1;
      f[F.owesCompound] = owes ? 1 : 0;
      f[F.owesUrgency] = owes ? clip(10 / Math.max(1, race.totalLaps - l.lap), 0, 2) / 2 : 0;
      const usual = l.compound ? c?.medianStintByCompound?.[l.compound] : undefined;
      f[F.compoundStintRatio] = usual && l.tyreLife != null ? clip(l.tyreLife / Math.max(1, usual), 0, 3) : 0;

      prevRel = rel;
      features.push(f);
      labels.push(labelsAt(stops, l.lap));
      latestInputMs.push(latest);
      if (inputs) inputs.push(traced!);
    }
    out.push({
      raceId: race.raceId,
      driverId,
      laps: laps.map((l) => l.lap),
      features,
      labels,
      stops,
      decisionMs: myDecisions,
      latestInputMs,
      ...(inputs ? { inputs } : {}),
    });
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
}

/**
 * A stored race replayed lap by lap: for lap t, every car with a lap t gets its window of
 * lap t. The features of a decision use nothing after its decision point, so the whole
 * race's sequences give what the race cut at any later instant would: nothing to rebuild.
 * Lazy: a caller can yield to the event loop between laps.
 */
export function* replayWindows(race: RaceInput, w: number, laps: Iterable<number>, sequences: DriverSequence[] = buildSequences(race)): Generator<LapWindows> {
  for (const t of laps) {
    const rows: LapWindows['rows'] = [];
    for (const seq of sequences) {
      const index = seq.laps.indexOf(t);
      if (index >= 0) rows.push({ driverId: seq.driverId, window: windowAt(seq, index, w) });
    }
    yield { lap: t, rows };
  }
}
