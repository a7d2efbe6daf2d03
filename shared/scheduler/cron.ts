/**
 * The next instant a five-field Unix cron line fires (minute hour day-of-month month
 * day-of-week: numbers, `*`, ranges, lists and steps), in UTC: what Cloud Scheduler reports
 * as a job's scheduleTime, for the in-memory scheduler that has no Cloud Scheduler to ask.
 * When both day fields are restricted, either may match (cron's rule). Null when the line does
 * not parse, names a zone other than UTC, or never fires within five years (Feb 30).
 */
export function nextCronRun(expr: string, after: Date, timeZone = 'Etc/UTC'): Date | null {
  if (!UTC_ZONES.has(timeZone)) return null;
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const [minute, hour, dom, month, dow] = [field(f[0]!, 0, 59), field(f[1]!, 0, 23), field(f[2]!, 1, 31), field(f[3]!, 1, 12), field(f[4]!, 0, 7)];
  if (!minute || !hour || !dom || !month || !dow) return null;
  if (dow.has(7)) dow.add(0);
  const domStar = f[2] === '*' || f[2]!.startsWith('*/');
  const dowStar = f[4] === '*' || f[4]!.startsWith('*/');
  const dayMatches = (d: Date) => {
    const byDom = dom.has(d.getUTCDate());
    const byDow = dow.has(d.getUTCDay());
    return domStar && dowStar ? true : domStar ? byDow : dowStar ? byDom : byDom || byDow;
  };
  // The first whole minute after `after`.
  const start = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  for (let i = 0; i < 366 * 5; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    if (!month.has(day.getUTCMonth() + 1) || !dayMatches(day)) continue;
    for (const h of [...hour].sort((a, b) => a - b)) {
      for (const m of [...minute].sort((a, b) => a - b)) {
        const at = new Date(day.getTime() + h * 3_600_000 + m * 60_000);
        if (at >= start) return at;
      }
    }
  }
  return null;
}

const UTC_ZONES = new Set(['Etc/UTC', 'UTC', 'Etc/GMT', 'GMT']);

/** One cron field as the set of values it allows; undefined when it does not parse. */
function field(text: string, min: number, max: number): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}
