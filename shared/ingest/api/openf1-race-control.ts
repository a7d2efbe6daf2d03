import type { OpenF1Client, OpenF1InvalidRow } from '../../clients/openf1.js';
import type { OpenF1RaceControl, OpenF1Session } from '../../clients/openf1-schemas.js';
import type { RaceControlRecord, RejectedRow, WarningRow } from '../records.js';
import type { RaceRef } from './openf1-records.js';

/**
 * OpenF1 /race_control of a Race session → race control records. A car number is mapped onto
 * the race's entrants; one that none of them had is KEPT with no driver, with a warning of the
 * run: the message (a flag, a safety car, a penalty) is still part of the track's timeline,
 * and its text names the car, whereas quarantining it would leave a hole in that timeline.
 */
export function openf1RaceControlRecords(
  race: RaceRef,
  driverByNumber: ReadonlyMap<number, string>,
  messages: readonly OpenF1RaceControl[],
): { records: RaceControlRecord[]; warnings: WarningRow[] } {
  const records: RaceControlRecord[] = [];
  const warnings: WarningRow[] = [];
  for (const m of messages) {
    let driverRef: string | null = null;
    if (m.driver_number !== null) {
      driverRef = driverByNumber.get(m.driver_number) ?? null;
      if (driverRef === null) {
        warnings.push({ table: 'race_control', raw: m, reason: `openf1 race control: no car #${m.driver_number} among the entrants of ${race.season} R${race.round}; kept with no driver` });
      }
    }
    records.push({
      ...race,
      session: 'race',
      sessionKey: m.session_key,
      at: m.date,
      lap: m.lap_number,
      driverRef,
      category: m.category,
      flag: m.flag,
      scope: m.scope,
      sector: m.sector,
      message: m.message,
    });
  }
  return { records, warnings };
}

/**
 * The race control messages of a Race session. A failed fetch is a warning recorded with the
 * run, not a failed run (as the weather's): the laps read with it still load, and the next
 * ingest of the race fetches them again (the upsert is idempotent).
 */
export async function sessionRaceControl(
  openf1: Pick<OpenF1Client, 'raceControl'>,
  session: OpenF1Session,
  race: RaceRef,
  driverByNumber: ReadonlyMap<number, string>,
): Promise<{ records: RaceControlRecord[]; rejected: RejectedRow[]; warnings: WarningRow[] }> {
  const invalid: OpenF1InvalidRow[] = [];
  let messages: OpenF1RaceControl[];
  try {
    messages = await openf1.raceControl(session.session_key, invalid);
  } catch (err) {
    const reason = `openf1 race control of session ${session.session_key} (${race.season} R${race.round}) not fetched: ${err instanceof Error ? err.message : String(err)}`;
    return { records: [], rejected: [], warnings: [{ table: 'race_control', raw: { session_key: session.session_key }, reason }] };
  }
  const mapped = openf1RaceControlRecords(race, driverByNumber, messages);
  const rejected = invalid.map((i) => ({ table: 'race_control' as const, raw: i.raw, reason: `openf1 race_control session ${session.session_key}: ${i.reason}` }));
  return { records: mapped.records, rejected, warnings: mapped.warnings };
}
