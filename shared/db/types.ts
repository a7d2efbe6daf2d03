/**
 * One set of type parsers for both drivers, so that rows look the same on PGlite and on
 * node-postgres: bigint (count(*), bigserial) and numeric as JS numbers, DATE as the
 * 'YYYY-MM-DD' string it is (not a Date at local midnight).
 */
export const PG_TYPE = { INT8: 20, NUMERIC: 1700, DATE: 1082 } as const;

export const textParsers: Record<number, (value: string) => unknown> = {
  [PG_TYPE.INT8]: (v) => Number(v),
  [PG_TYPE.NUMERIC]: (v) => Number(v),
  [PG_TYPE.DATE]: (v) => v,
};
