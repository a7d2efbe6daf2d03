import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { timingMs } from '../../shared/domain/timing.js';
import { dataDir, requireData } from '../helpers/settings.js';

/**
 * The one timing-text parser (it replaced three: the dump loader's lap times, the history's
 * qualifying lap times and the Jolpica records' durations): every format each of them read.
 */
describe('timingMs', () => {
  it.each([
    ['1:26.572', 86_572], // a qualifying lap (dump q1–q3, Jolpica Q1–Q3)
    ['16:42.640', 1_002_640], // a qualifying lap across a red flag: two-digit minutes
    ['26.898', 26_898], // a pit-stop duration
    ['2:03.124', 123_124], // a long pit stop
    ['1:34:50.616', 5_690_616], // a race time
    ['1:34:42.1', 5_682_100], // fewer decimals
    ['1:26.5', 86_500], // one decimal is tenths, not milliseconds
    ['1:05.0421', 65_042], // four decimals, rounded
    ['86.572', 86_572], // seconds alone
    ['1:26', 86_000], // no decimals
    [' 1:26.572 ', 86_572], // surrounding blanks
  ])('reads %j as %d ms', (text, ms) => {
    expect(timingMs(text)).toBe(ms);
  });

  it.each([
    [''], // the dump's 68 q2/q3 written as "" instead of \N
    ['\\N'],
    ['+5.478'], // a gap to the winner is no clock time
    ['+1:08.130'],
    ['0.000'], // no lap, stop or race takes no time
    ['0:00.000'],
    ['1:75.000'], // seconds past 59 after a colon
    ['1:5.300'], // one-digit seconds after a colon
    ['1:61:00.000'], // minutes past 59 after an hour
    ['1.26.572'],
    ['DNF'],
  ])('reads %j as no time', (text) => {
    expect(timingMs(text)).toBeNull();
  });

  it('reads no value as no time', () => {
    expect(timingMs(null)).toBeNull();
    expect(timingMs(undefined)).toBeNull();
  });

  const data = requireData();
  it.skipIf(data.skip)('reads every lap time, pit-stop duration and race time of the real dump', () => {
    const column = (file: string, name: string) => {
      const [header, ...rows] = fs.readFileSync(path.join(dataDir, 'ergast', file), 'utf8').trim().split('\n');
      const at = header!.split(',').map((c) => c.replace(/"/g, '')).indexOf(name);
      return rows.map((r) => r.split(',')[at]!.replace(/"/g, '')).filter((v) => v !== '\\N' && v !== '' && !v.startsWith('+'));
    };
    const values = [...['q1', 'q2', 'q3'].flatMap((q) => column('qualifying.csv', q)), ...column('pit_stops.csv', 'duration'), ...column('results.csv', 'time')];
    expect(values.length).toBeGreaterThan(30_000);
    expect(values.filter((v) => timingMs(v) === null)).toEqual([]);
  });
});
