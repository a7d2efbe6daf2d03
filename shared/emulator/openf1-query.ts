/**
 * OpenF1's query filters, as both emulated OpenF1s (finished sessions and the live replay)
 * answer them: `field=value` and `field>value`, `field>=value`, `field<value`, `field<=value`,
 * percent-encoded or not; dates compared as instants, numbers as numbers.
 */
type Row = Record<string, unknown>;

export type OpenF1Filter = { field: string; op: '=' | '>' | '>=' | '<' | '<='; value: string };

/** OpenF1's query: `field=value` and `field>value`, `field>=value`, … (percent-encoded or not). */
export function parseOpenF1Query(rawQuery: string): OpenF1Filter[] {
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
    .flatMap((part) => {
      const m = /^([a-z_0-9]+)(>=|<=|>|<|=)(.*)$/.exec(part);
      return m ? [{ field: m[1]!, op: m[2] as OpenF1Filter['op'], value: m[3]! }] : [];
    });
}

function matches(row: Row, f: OpenF1Filter): boolean {
  const v = row[f.field];
  if (v === undefined || v === null) return false;
  const dated = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v);
  const [a, b] = dated ? [Date.parse(v), Date.parse(f.value)] : typeof v === 'number' ? [v, Number(f.value)] : [String(v), f.value];
  switch (f.op) {
    case '=':
      return a === b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** Whether a row passes every filter of a query. */
export const matchesQuery = (row: Row, filters: readonly OpenF1Filter[]): boolean => filters.every((f) => matches(row, f));
