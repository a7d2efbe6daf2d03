/** Small helpers shared by the stores' row mappers. */

/** A Postgres TIME value ('15:00:00') as the domain's UTC time, or null. */
export function timeOrNull(v: unknown): string | null {
  return v == null ? null : String(v);
}

export function numberOrNull(v: unknown): number | null {
  return v == null ? null : Number(v);
}

/** DATE columns arrive as 'YYYY-MM-DD' strings (see db/types.ts); be strict about it. */
export function dateString(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 10);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  throw new TypeError(`expected a DATE value, got ${typeof v}`);
}

export function dateOrNull(v: unknown): string | null {
  return v == null ? null : dateString(v);
}
