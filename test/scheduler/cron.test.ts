import { describe, expect, it } from 'vitest';
import { nextCronRun } from '../../shared/scheduler/cron.js';

const next = (expr: string, after: string, tz?: string) => nextCronRun(expr, new Date(after), tz)?.toISOString() ?? null;

describe('the next run of a cron line (the in-memory scheduler\'s scheduleTime)', () => {
  it('takes the first whole minute strictly after the instant', () => {
    expect(next('30 5 * * *', '2025-03-01T05:29:59Z')).toBe('2025-03-01T05:30:00.000Z');
    expect(next('30 5 * * *', '2025-03-01T05:30:00Z')).toBe('2025-03-02T05:30:00.000Z');
  });
  it('reads steps, ranges and lists', () => {
    expect(next('17 */6 * * *', '2025-03-01T06:20:00Z')).toBe('2025-03-01T12:17:00.000Z');
    expect(next('0 9-11/2 * * *', '2025-03-01T09:00:00Z')).toBe('2025-03-01T11:00:00.000Z');
    expect(next('0,45 23 * * *', '2025-03-01T23:01:00Z')).toBe('2025-03-01T23:45:00.000Z');
  });
  it('fires a one-shot line (minute hour day month *) a year later once its instant is past', () => {
    expect(next('0 15 15 3 *', '2025-03-01T00:00:00Z')).toBe('2025-03-15T15:00:00.000Z');
    expect(next('0 15 15 3 *', '2025-03-15T15:00:00Z')).toBe('2026-03-15T15:00:00.000Z');
  });
  it('matches either day field when both are restricted, and Sunday as 0 or 7', () => {
    // 2025-03-01 is a Saturday: the 3rd (a Monday) by day of month, the 2nd by Sunday.
    expect(next('0 0 3 * 0', '2025-03-01T12:00:00Z')).toBe('2025-03-02T00:00:00.000Z');
    expect(next('0 0 * * 7', '2025-03-01T12:00:00Z')).toBe('2025-03-02T00:00:00.000Z');
    expect(next('0 0 3 * *', '2025-03-01T12:00:00Z')).toBe('2025-03-03T00:00:00.000Z');
  });
  it('is null for a line that does not parse, never fires, or is in a zone it does not compute', () => {
    expect(next('61 * * * *', '2025-03-01T00:00:00Z')).toBeNull();
    expect(next('* * *', '2025-03-01T00:00:00Z')).toBeNull();
    expect(next('0 0 30 2 *', '2025-03-01T00:00:00Z')).toBeNull();
    expect(next('0 6 * * *', '2025-03-01T00:00:00Z', 'Europe/London')).toBeNull();
  });
});
