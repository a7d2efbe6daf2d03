import type { RaceResult } from './reference.js';

/**
 * Every distinct classification a race has had is a version: 1 at the first sync, n+1 when a
 * re-sync (a post-race penalty, a disqualification) changes any driver's position, position
 * text, status, points, time or laps. The results table holds the current one; the versions
 * keep the old ones with when and why they changed.
 */

/** A driver's row of a classification version (a RaceResult without its race). */
export type VersionedResult = Omit<RaceResult, 'raceId'>;

/** The fields whose change makes a new version ("time" is the text and the milliseconds). */
export const versionedFields = ['position', 'positionText', 'status', 'points', 'time', 'laps'] as const;
export type VersionedField = (typeof versionedFields)[number];

export interface FieldChange {
  field: VersionedField;
  from: string | number | null;
  to: string | number | null;
}

/** How one driver's row changed between two versions. */
export interface ResultChange {
  driverId: number;
  /** The driver as the change text names them (code, else the name). */
  driver: string;
  kind: 'changed' | 'added' | 'removed';
  fields: FieldChange[];
}

export interface ResultVersion {
  raceId: number;
  version: number;
  /** When the sync stored it, on the sync's clock (simulated in a replay). */
  syncedAt: Date;
  /** The ingestion run ('results-sync') that fetched it; null when the results were already stored (dump source). */
  runId: number | null;
  classification: VersionedResult[];
  /** Against the previous version; empty for version 1. */
  changes: ResultChange[];
  /** The changes as text, e.g. "SAI: P3 → P4, status Finished → +5 s"; "first classification" for version 1. */
  summary: string;
}

export const FIRST_VERSION_SUMMARY = 'first classification';

export function versionedResult({ raceId: _raceId, ...row }: RaceResult): VersionedResult {
  return row;
}

const fieldValue = (r: VersionedResult, field: VersionedField): string | number | null => {
  switch (field) {
    case 'time':
      return r.timeText ?? (r.milliseconds === null ? null : r.milliseconds);
    default:
      return r[field];
  }
};

/** A driver and car is one row of a classification (the results' natural key). */
const rowKey = (r: VersionedResult) => `${r.driverId}/${r.number ?? ''}`;

/** The changes from `previous` to `current`, in the current classification's order; empty when they are the same. */
export function classificationChanges(
  previous: readonly VersionedResult[],
  current: readonly VersionedResult[],
  nameOf: (driverId: number) => string,
): ResultChange[] {
  const before = new Map(previous.map((r) => [rowKey(r), r]));
  const after = new Map(current.map((r) => [rowKey(r), r]));
  const byOrder = (a: VersionedResult, b: VersionedResult) => a.positionOrder - b.positionOrder;
  const changes: ResultChange[] = [];
  for (const now of [...current].sort(byOrder)) {
    const then = before.get(rowKey(now));
    const fields = versionedFields.flatMap((field): FieldChange[] => {
      const from = then ? fieldValue(then, field) : null;
      const to = fieldValue(now, field);
      // The time text and the milliseconds change together; either one differing is a change.
      const differs = from !== to || (field === 'time' && then !== undefined && then.milliseconds !== now.milliseconds);
      return differs ? [{ field, from, to }] : [];
    });
    if (!then) changes.push({ driverId: now.driverId, driver: nameOf(now.driverId), kind: 'added', fields });
    else if (fields.length) changes.push({ driverId: now.driverId, driver: nameOf(now.driverId), kind: 'changed', fields });
  }
  for (const then of [...previous].sort(byOrder)) {
    if (!after.has(rowKey(then))) changes.push({ driverId: then.driverId, driver: nameOf(then.driverId), kind: 'removed', fields: [] });
  }
  return changes;
}

/** A value as the change text shows it: a numeric position text as P3, a missing value as —. */
const shown = (field: VersionedField, v: string | number | null) =>
  v === null ? '—' : (field === 'positionText' || field === 'position') && /^\d+$/.test(String(v)) ? `P${v}` : String(v);

/** "SAI: P3 → P4, status Finished → +5 s; LEC: P4 → P3". */
export function describeChanges(changes: readonly ResultChange[]): string {
  if (changes.length === 0) return 'no change';
  return changes
    .map((c) => {
      if (c.kind === 'removed') return `${c.driver}: no longer classified`;
      if (c.kind === 'added') return `${c.driver}: newly classified, ${shown('positionText', c.fields.find((f) => f.field === 'positionText')?.to ?? null)}`;
      // The position text (P3, DSQ, R) says what the number does and more: the number only when the text is the same.
      const parts = c.fields
        .filter((f) => f.field !== 'position' || !c.fields.some((g) => g.field === 'positionText'))
        .map((f) => `${f.field === 'positionText' || f.field === 'position' ? '' : `${f.field} `}${shown(f.field, f.from)} → ${shown(f.field, f.to)}`);
      return `${c.driver}: ${parts.join(', ')}`;
    })
    .join('; ');
}
