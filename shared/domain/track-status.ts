import type { RaceControlMessage } from './race-control.js';

/**
 * The track status over time from race control, and the FastF1 digits of a lap from it, so a
 * lap polled live gets laps.track_status as a FastF1 lap has it (the pit model reads them).
 *
 * Race control wording (OpenF1 relays the FIA's messages as sent): "SAFETY CAR DEPLOYED",
 * "SAFETY CAR IN THIS LAP" (the SC is still out until the line), "VIRTUAL SAFETY CAR
 * DEPLOYED", "VIRTUAL SAFETY CAR ENDING", flag RED "RED FLAG", track-wide flag GREEN or CLEAR
 * ("TRACK CLEAR", "GREEN LIGHT - PIT EXIT OPEN"), and per sector flag YELLOW / DOUBLE YELLOW
 * "YELLOW IN TRACK SECTOR 8" until flag CLEAR "CLEAR IN TRACK SECTOR 8". A yellow anywhere
 * counts as yellow, as in FastF1's status 2 (the timing feed's "Yellow" is any yellow).
 */

/** The track status in effect, from race control (live) or lap-level FastF1 status (history). */
export type TrackStatus = 'green' | 'yellow' | 'vsc' | 'sc' | 'red';

/** FastF1's track status digits (laps.track_status): 1 green, 2 yellow, 4 SC, 5 red, 6 VSC, 7 VSC ending. */
export type TrackStatusDigit = '1' | '2' | '4' | '5' | '6' | '7';

const digitStatus: Record<string, TrackStatus> = { '1': 'green', '2': 'yellow', '4': 'sc', '5': 'red', '6': 'vsc', '7': 'vsc' };

/** The status one FastF1 digit stands for (undefined for none or an unknown one). */
export const statusOfDigit = (digit: string | undefined): TrackStatus | undefined => (digit === undefined ? undefined : digitStatus[digit]);

/** The most severe status among a lap's digits (red, SC, VSC, yellow, then green). */
export function mostSevereStatus(digits: string | null | undefined): TrackStatus {
  const seen = new Set([...(digits ?? '')].map((d) => digitStatus[d]));
  return (['red', 'sc', 'vsc', 'yellow'] as const).find((x) => seen.has(x)) ?? 'green';
}

export interface TrackStatusEvent {
  /** ISO instant the status took effect (the race control message's). */
  at: string;
  status: TrackStatus;
  /** The FastF1 digit of the change: a VSC ending is still 'vsc' but digit 7. */
  digit: TrackStatusDigit;
}

const statusDigit: Record<TrackStatus, TrackStatusDigit> = { green: '1', yellow: '2', sc: '4', red: '5', vsc: '6' };

type Message = Pick<RaceControlMessage, 'at' | 'category' | 'flag' | 'scope' | 'sector' | 'message'>;

/** Status changes in time order; a message that changes nothing adds no event. Messages may come in any order. */
export function trackStatusEvents(messages: readonly Message[]): TrackStatusEvent[] {
  const ordered = [...messages].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const events: TrackStatusEvent[] = [];
  let status = 'green' as TrackStatus;
  let digit = '1' as TrackStatusDigit;
  /** Sectors under a yellow; a track-wide yellow is sector 0. */
  const yellow = new Set<number>();
  const calm = (): TrackStatus => (yellow.size ? 'yellow' : 'green');
  const set = (at: string, next: TrackStatus, nextDigit: TrackStatusDigit = statusDigit[next]) => {
    if (next === status && nextDigit === digit) return;
    status = next;
    digit = nextDigit;
    events.push({ at: new Date(at).toISOString(), status, digit });
  };
  for (const m of ordered) {
    const text = m.message.toUpperCase();
    const flag = m.flag?.toUpperCase() ?? null;
    const trackWide = m.scope === null || m.scope.toLowerCase() === 'track';
    const neutralised = status === 'sc' || status === 'vsc' || status === 'red';
    if (/^VIRTUAL SAFETY CAR DEPLOYED/.test(text)) set(m.at, 'vsc');
    else if (/^VIRTUAL SAFETY CAR ENDING/.test(text)) set(m.at, 'vsc', '7');
    else if (/^SAFETY CAR DEPLOYED/.test(text)) set(m.at, 'sc');
    else if (/^SAFETY CAR IN THIS LAP/.test(text)) {
      // The SC is still out until it peels off; the green at the line ends it.
    } else if (flag === 'RED' || /^RED FLAG/.test(text)) set(m.at, 'red');
    else if ((flag === 'GREEN' || flag === 'CLEAR') && trackWide) {
      // A track-wide green ends neutralisation and every local yellow.
      yellow.clear();
      set(m.at, 'green');
    } else if ((flag === 'YELLOW' || flag === 'DOUBLE YELLOW') && m.category.toLowerCase() === 'flag') {
      if (m.scope?.toLowerCase() === 'driver') continue;
      yellow.add(trackWide ? 0 : (m.sector ?? 0));
      if (!neutralised) set(m.at, 'yellow');
    } else if (flag === 'CLEAR' && m.scope?.toLowerCase() === 'sector') {
      yellow.delete(m.sector ?? 0);
      if (!neutralised) set(m.at, calm());
    }
  }
  return events;
}

/** The status in effect at `at` (green before the first event). */
export function statusAt(events: readonly TrackStatusEvent[], at: string): TrackStatus {
  return eventAt(events, Date.parse(at))?.status ?? 'green';
}

function eventAt(events: readonly TrackStatusEvent[], t: number): TrackStatusEvent | undefined {
  let found: TrackStatusEvent | undefined;
  for (const e of events) {
    if (Date.parse(e.at) > t) break;
    found = e;
  }
  return found;
}

/**
 * The FastF1 digits of a lap run over [start, end): the status in effect at its start, then
 * each status that took effect during it (a change on the line at its end is the next lap's), each digit once in order of first appearance
 * (FastF1's "1264": green, yellow, VSC, SC).
 */
export function lapTrackStatus(events: readonly TrackStatusEvent[], start: string, end: string): string {
  const [from, to] = [Date.parse(start), Date.parse(end)];
  const digits: TrackStatusDigit[] = [eventAt(events, from)?.digit ?? '1'];
  for (const e of events) {
    const t = Date.parse(e.at);
    if (t > from && t < to && !digits.includes(e.digit)) digits.push(e.digit);
  }
  return digits.join('');
}
