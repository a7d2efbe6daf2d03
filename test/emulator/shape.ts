/**
 * The shape of a JSON value: object keys recursively, array elements merged (a field
 * present in some rows only, like Ergast's `Time` or `FastestLap`, is still one field),
 * leaves by type with null ignored (OpenF1 sends null where a value is unknown).
 */
export type Shape = string | { [key: string]: Shape } | { '[]': Shape };

function merge(a: Shape | undefined, b: Shape): Shape {
  if (a === undefined || a === 'null') return b;
  if (b === 'null') return a;
  if (typeof a === 'string' || typeof b === 'string') return a === b ? a : `${String(typeof a === 'string' ? a : 'object')}|${String(typeof b === 'string' ? b : 'object')}`;
  if ('[]' in a && '[]' in b) return { '[]': merge(a['[]'], b['[]']) };
  const out: Record<string, Shape> = { ...(a as Record<string, Shape>) };
  for (const [k, v] of Object.entries(b as Record<string, Shape>)) out[k] = merge(out[k], v);
  return out;
}

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return { '[]': value.reduce<Shape | undefined>((s, v) => merge(s, shapeOf(v)), undefined) ?? 'empty' };
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return Object.fromEntries(keys.map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}
