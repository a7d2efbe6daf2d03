import { describe, expect, it } from 'vitest';
import { parseDelimited, readDelimited } from '../../shared/ingest/csv.js';
import { bestOfMs } from '../../bench/best-of.js';

describe('delimited reader', () => {
  it('reads quotes, doubled quotes, delimiters and newlines inside quotes, CRLF and a BOM', () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\\N\n\n3,,""\n';
    const parsed = readDelimited(text);
    expect(parsed.header).toEqual(['a', 'b', 'c']);
    expect(parsed.rows.map((r) => r.cells)).toEqual([
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', '\\N'],
      ['3', '', ''],
    ]);
    // Physical lines: the quoted newline makes row 2 span lines 3-4; the blank line is not a row.
    expect(parsed.rows.map((r) => [r.line, r.lastLine])).toEqual([[2, 2], [3, 4], [6, 6]]);
    expect(parsed.endsWithNewline).toBe(true);
    expect(parsed.unclosedQuoteLine).toBeUndefined();
    expect(parseDelimited('a\tb\n1\t"2"\n')).toEqual([{ a: '1', b: '2' }]);
  });

  it('says where a quote is never closed and when the text does not end with a line break', () => {
    const parsed = readDelimited('a,b\n1,2\n3,"oops\n4,5\n6,7');
    expect(parsed.unclosedQuoteLine).toBe(3);
    expect(parsed.rows).toHaveLength(2);
    expect(parsed.endsWithNewline).toBe(false);
  });

  /** Best of 5, in ms per byte. */
  const perByte = (text: string) => bestOfMs(5, () => readDelimited(text)) / text.length;
  const row = '1,18,1,1,22,1,1,"1",1,10,58,"1:34:50.616",5690616,39,2,"1:27.452","218.300",1\n';
  const header = 'resultId,raceId,driverId,constructorId,number,grid,position,positionText,positionOrder,points,laps,time,milliseconds,fastestLap,rank,fastestLapTime,fastestLapSpeed,statusId\n';
  const file = (bytes: number, stray: boolean) => {
    const body = row.repeat(Math.ceil(bytes / row.length));
    // A stray quote on the first data line: every later line is inside one quoted field.
    return header + (stray ? `"${body}` : body);
  };

  // Generous bounds: linear means about the same time per byte at 16x the size. The old
  // reader re-scanned the growing line for every line a quote spanned: with a stray quote,
  // 1 s at 256 KB and 14 s at 1 MB (so the sizes stay small here).
  it.each([
    ['quoted fields on every line', false],
    ['a stray quote swallowing the file', true],
  ])('is linear in the text: %s', (_name, stray) => {
    const small = perByte(file(64 * 1024, stray));
    const large = perByte(file(1024 * 1024, stray));
    expect(large / small).toBeLessThan(4);
  });
});
