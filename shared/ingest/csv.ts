/**
 * A small delimited-text reader for the source files (CSV with double quotes, TSV). Lines
 * without a quote are split directly (most of them, and several times faster than a
 * general parser on the ~30 MB of lap files); a line with a quote goes through a state
 * machine that walks each character once (quotes, doubled quotes, delimiters and newlines
 * inside quotes), so the whole read is linear in the text even when a stray quote
 * swallows the rest of the file. Values are returned as written: `""` → '', `\N` → '\N'.
 */

export interface DelimitedRow {
  cells: string[];
  /** 1-based physical line the row starts on, and the one it ends on (> line when a quoted field spans lines). */
  line: number;
  lastLine: number;
}

export interface DelimitedText {
  delimiter: string;
  header: string[];
  rows: DelimitedRow[];
  /** Non-blank physical lines after the header: equals rows.length unless a quoted field spans lines. */
  dataLines: number;
  /** The line of a quote that is never closed (the rest of the text became one field). */
  unclosedQuoteLine?: number;
  /** Whether the text ends with a line break (a file cut short usually does not). */
  endsWithNewline: boolean;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export function readDelimited(text: string, delimiter?: string): DelimitedText {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstEnd = text.indexOf('\n');
  const firstLine = firstEnd === -1 ? text : text.slice(0, firstEnd);
  const delim = delimiter ?? (firstLine.includes('\t') ? '\t' : ',');
  const delimCode = delim.charCodeAt(0);
  const rows: DelimitedRow[] = [];
  let lines = 0;
  let unclosedQuoteLine: number | undefined;
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  // The next quote at or after `pos`, searched again only once passed: one scan in all.
  let quote = -1;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    lineNo++;
    if (quote !== Number.POSITIVE_INFINITY && quote < pos) {
      quote = text.indexOf('"', pos);
      if (quote === -1) quote = Number.POSITIVE_INFINITY;
    }
    if (quote < end) {
      const startLine = lineNo;
      const r = splitQuoted(text, pos, delimCode);
      // Every line the row consumed counts as a physical line.
      const spanned = r.newlines;
      lines += 1 + spanned;
      lineNo += spanned;
      if (r.unclosed) unclosedQuoteLine ??= startLine;
      rows.push({ cells: r.cells, line: startLine, lastLine: lineNo });
      pos = r.end + 1;
      continue;
    }
    const line = text.charCodeAt(end - 1) === CR ? text.slice(pos, end - 1) : text.slice(pos, end);
    if (line.length > 0) {
      lines++;
      rows.push({ cells: line.split(delim), line: lineNo, lastLine: lineNo });
    }
    pos = end + 1;
  }
  const header = rows.shift()?.cells ?? [];
  return {
    delimiter: delim,
    header,
    rows,
    dataLines: Math.max(0, lines - 1),
    ...(unclosedQuoteLine !== undefined ? { unclosedQuoteLine } : {}),
    endsWithNewline: n > 0 && text.charCodeAt(n - 1) === LF,
  };
}

/** Rows as objects keyed by the header (cells beyond it dropped, missing ones ''). */
export function parseDelimited(text: string, delimiter?: string): Record<string, string>[] {
  const { header, rows } = readDelimited(text, delimiter);
  return toObjects(header, rows);
}

export function toObjects(header: string[], rows: DelimitedRow[]): Record<string, string>[] {
  return rows.map(({ cells }) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) o[header[i]!] = cells[i] ?? '';
    return o;
  });
}

/**
 * One row from `start`, quotes honoured, up to the first line break outside quotes. Text
 * is copied in slices between special characters, never one character at a time.
 */
function splitQuoted(text: string, start: number, delim: number): { cells: string[]; end: number; newlines: number; unclosed: boolean } {
  const cells: string[] = [];
  // The pieces of the current cell between quotes, joined once at its end (a string built
  // by += over a field that swallowed the file would be a rope of millions of pieces).
  const parts: string[] = [];
  const cell = (tail: string) => {
    if (parts.length === 0) return tail;
    parts.push(tail);
    const v = parts.join('');
    parts.length = 0;
    return v;
  };
  let from = start;
  let newlines = 0;
  let i = start;
  const n = text.length;
  let unclosed = false;
  // The next line break at or after the scan (-2: not looked up yet, -1: none left), looked up again only once passed.
  let nl = -2;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Inside quotes: jump to the closing quote (a doubled one is a literal quote).
      if (i > from) parts.push(text.slice(from, i));
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        const stop = q === -1 ? n : q;
        if (nl === -2 || (nl !== -1 && nl < j)) nl = text.indexOf('\n', j);
        while (nl !== -1 && nl < stop) {
          newlines++;
          nl = text.indexOf('\n', nl + 1);
        }
        if (q === -1) {
          parts.push(text.slice(j));
          unclosed = true;
          j = n;
          break;
        }
        parts.push(text.slice(j, q));
        if (text.charCodeAt(q + 1) === QUOTE) {
          parts.push('"');
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      i = j;
      from = j;
      continue;
    }
    if (c === delim) {
      cells.push(cell(text.slice(from, i)));
      from = i + 1;
    } else if (c === LF) break;
    i++;
  }
  let last = cell(text.slice(from, i));
  if (!unclosed && last.charCodeAt(last.length - 1) === CR) last = last.slice(0, -1);
  cells.push(last);
  return { cells, end: i, newlines, unclosed };
}
