import { describe, expect, it } from 'vitest';
import { lapTrackStatus, statusAt, trackStatusEvents } from '../../../shared/domain/track-status.js';
import { raceControl9102 } from '../../fixtures/openf1/race-control-9102.js';

const m = (at: string, message: string, over: { category?: string; flag?: string | null; scope?: string | null; sector?: number | null } = {}) => ({
  at, message, category: over.category ?? 'Other', flag: over.flag ?? null, scope: over.scope === undefined ? 'Track' : over.scope, sector: over.sector ?? null,
});
const asMessages = (rows: typeof raceControl9102) => rows.map((r) => ({ at: r.date, category: r.category, flag: r.flag, scope: r.scope, sector: r.sector, message: r.message }));

describe('track status from race control', () => {
  it("reads OpenF1's wording of a VSC period and a sector yellow (2023 Spanish GP fixture)", () => {
    const events = trackStatusEvents(asMessages(raceControl9102));
    expect(events).toEqual([
      { at: '2023-06-04T13:31:44.000Z', status: 'yellow', digit: '2' },
      { at: '2023-06-04T13:31:58.000Z', status: 'green', digit: '1' },
      { at: '2023-06-04T13:50:03.000Z', status: 'vsc', digit: '6' },
      { at: '2023-06-04T13:52:41.000Z', status: 'vsc', digit: '7' },
      { at: '2023-06-04T13:52:56.000Z', status: 'green', digit: '1' },
    ]);
    expect(statusAt(events, '2023-06-04T13:00:00Z')).toBe('green');
    expect(statusAt(events, '2023-06-04T13:51:00Z')).toBe('vsc');
    expect(statusAt(events, '2023-06-04T13:52:56Z')).toBe('green');
    // A lap from 13:49:30 to 13:51:00 saw green then the VSC; one across the ending saw VSC, its ending and green.
    expect(lapTrackStatus(events, '2023-06-04T13:49:30Z', '2023-06-04T13:51:00Z')).toBe('16');
    expect(lapTrackStatus(events, '2023-06-04T13:51:30Z', '2023-06-04T13:53:00Z')).toBe('671');
    expect(lapTrackStatus(events, '2023-06-04T14:00:00Z', '2023-06-04T14:01:20Z')).toBe('1');
  });

  it('keeps the safety car out through "SAFETY CAR IN THIS LAP" until the track is clear, and a yellow outlasts it', () => {
    const events = trackStatusEvents([
      m('2024-06-23T13:10:00Z', 'GREEN LIGHT - PIT EXIT OPEN', { category: 'Flag', flag: 'GREEN' }),
      m('2024-06-23T13:20:00Z', 'DOUBLE YELLOW IN TRACK SECTOR 5', { category: 'Flag', flag: 'DOUBLE YELLOW', scope: 'Sector', sector: 5 }),
      m('2024-06-23T13:20:30Z', 'SAFETY CAR DEPLOYED', { category: 'SafetyCar' }),
      m('2024-06-23T13:21:00Z', 'CLEAR IN TRACK SECTOR 5', { category: 'Flag', flag: 'CLEAR', scope: 'Sector', sector: 5 }),
      m('2024-06-23T13:24:00Z', 'SAFETY CAR IN THIS LAP', { category: 'SafetyCar' }),
      m('2024-06-23T13:25:40Z', 'TRACK CLEAR', { category: 'Flag', flag: 'CLEAR' }),
      m('2024-06-23T13:30:00Z', 'YELLOW IN TRACK SECTOR 2', { category: 'Flag', flag: 'YELLOW', scope: 'Sector', sector: 2 }),
      m('2024-06-23T13:31:00Z', 'BLUE FLAG FOR CAR 2 (SAR)', { category: 'Flag', flag: 'BLUE', scope: 'Driver' }),
      m('2024-06-23T13:40:00Z', 'RED FLAG', { category: 'Flag', flag: 'RED' }),
      m('2024-06-23T14:10:00Z', 'SAFETY CAR DEPLOYED', { category: 'SafetyCar' }),
    ]);
    expect(events.map((e) => [e.at.slice(11, 19), e.status])).toEqual([
      ['13:20:00', 'yellow'], ['13:20:30', 'sc'], ['13:25:40', 'green'], ['13:30:00', 'yellow'], ['13:40:00', 'red'], ['14:10:00', 'sc'],
    ]);
    expect(statusAt(events, '2024-06-23T13:24:30Z')).toBe('sc');
    expect(lapTrackStatus(events, '2024-06-23T13:19:00Z', '2024-06-23T13:20:45Z')).toBe('124');
    expect(lapTrackStatus(events, '2024-06-23T13:39:00Z', '2024-06-23T13:40:20Z')).toBe('25');
  });
});
