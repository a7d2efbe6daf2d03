import { ValidationError } from '../errors.js';
import type { DelimitedText } from './csv.js';

/**
 * Checks a source file as a whole before any row of it is used: a file that fails one is
 * refused (ValidationError, so the run fails with the reason and nothing of it is
 * written) instead of being loaded in part or quarantined row by row.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8: a Latin-1 byte is refused with where it is, never stored as U+FFFD. */
export function decodeUtf8(name: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ValidationError(`${name} is empty: give the complete file`);
  try {
    return utf8.decode(bytes);
  } catch {
    const lossy = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const at = lossy.indexOf('\uFFFD');
    const line = at === -1 ? 1 : countLines(lossy, at);
    throw new ValidationError(
      `${name} is not valid UTF-8 (first bad byte on line ${line}; Latin-1 or Windows-1252 text?): convert it, e.g. iconv -f latin1 -t utf-8`,
    );
  }
}

export interface TableCheck {
  /** The exact set of header columns (order free); omitted when the caller recognises the header itself. */
  columns?: readonly string[];
  /** The file must end with a line break (the Ergast dump always does; a cut-short copy does not). */
  requireFinalNewline?: boolean;
  /** A header with no rows is a table with nothing in it (e.g. sprint results of a season without sprints). */
  allowNoRows?: boolean;
}

export function checkDelimited(name: string, parsed: DelimitedText, check: TableCheck = {}): void {
  const refuse = (why: string) => {
    throw new ValidationError(`${name}: ${why}`);
  };
  if (parsed.header.length === 0 || (parsed.header.length === 1 && parsed.header[0]!.trim() === '')) refuse('is empty: give the complete file');
  if (check.columns) {
    const expected = new Set(check.columns);
    const got = new Set(parsed.header);
    const missing = check.columns.filter((c) => !got.has(c));
    const unexpected = parsed.header.filter((c) => !expected.has(c));
    if (missing.length || unexpected.length || got.size !== parsed.header.length) {
      refuse(
        `the header is not this table's (${[missing.length ? `missing ${list(missing)}` : '', unexpected.length ? `unexpected ${list(unexpected)}` : '']
          .filter(Boolean)
          .join('; ') || 'a column repeats'}): expected ${check.columns.join(',')}`,
      );
    }
  }
  if (parsed.unclosedQuoteLine !== undefined) {
    refuse(`a quote opened on line ${parsed.unclosedQuoteLine} is never closed, so the rest of the file would be one field: fix the stray " on that line`);
  }
  const spanning = parsed.rows.find((r) => r.lastLine > r.line);
  if (spanning) {
    refuse(
      `${parsed.dataLines} data lines but ${parsed.rows.length} rows: the row on line ${spanning.line} runs on to line ${spanning.lastLine} (a stray " ?); every row must be one line`,
    );
  }
  if (parsed.rows.length === 0) {
    if (check.allowNoRows) return;
    refuse('has a header but no rows: give the complete file');
  }
  const width = parsed.header.length;
  const last = parsed.rows[parsed.rows.length - 1]!;
  if (check.requireFinalNewline && !parsed.endsWithNewline) {
    refuse(`the last line (${last.line}) has no line end: the file looks cut short; give the complete file`);
  }
  const ragged = parsed.rows.find((r) => r.cells.length !== width);
  if (ragged) {
    refuse(
      ragged === last
        ? `the last line (${ragged.line}) has ${ragged.cells.length} of ${width} fields: the file looks cut short; give the complete file`
        : `line ${ragged.line} has ${ragged.cells.length} fields where the header has ${width}`,
    );
  }
}

function list(cols: string[]): string {
  const shown = cols.slice(0, 8).map((c) => (c.length > 40 ? `${c.slice(0, 40)}…` : c));
  return shown.join(', ') + (cols.length > shown.length ? ` and ${cols.length - shown.length} more` : '');
}

function countLines(text: string, upTo: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < upTo; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
