import { describe, expect, it } from 'vitest';
import { functionManifest } from '../../shared/app/manifest.js';
import type { Race } from '../../shared/domain/reference.js';
import { JOB_PREFIX, planJobs } from '../../shared/scheduler/plan.js';
import { checkPerRaceJobs } from './checks.js';

const base = 'https://europe-west1-proj.cloudfunctions.net';

const race: Race = {
  id: 1, season: 2025, round: 1, circuitId: 1, name: 'Australian Grand Prix', url: null,
  // A sprint weekend, so that every kind of per-race job is planned.
  sessions: { race: { date: '2025-03-16', time: '04:00:00' }, qualifying: { date: '2025-03-15', time: '05:00:00' }, sprint: { date: '2025-03-15', time: '01:00:00' } },
};
const jobs = planJobs([race], new Date('2025-03-01T00:00:00Z'), {
  policy: { kind: 'post_qualifying' },
  functionsBaseUrl: base,
  serviceAccountEmail: 'pitwall-scheduler@proj.iam.gserviceaccount.com',
  syncAfterHours: 4,
  horizonDays: 30,
  live: true,
  preWeekend: { kind: 'pre_weekend', hours: 24 },
});

describe('per-race Scheduler jobs and the function manifest', () => {
  it("call the function whose scheduledBy names their kind, at its URL, with its URL as audience", () => {
    expect(jobs.map((j) => j.id.slice(`${JOB_PREFIX}2025-r01-`.length)).sort()).toEqual(['freeze', 'live', 'openf1', 'postrace', 'prefreeze', 'qualifying', 'sprint', 'sync', 'weather']);
    expect(checkPerRaceJobs(jobs, functionManifest, base)).toEqual([]);
  });

  it('fails when the manifest moves a kind to another function, or names a kind no job has', () => {
    const moved = functionManifest.map((f) =>
      f.name === 'predict' ? { ...f, scheduledBy: [] } : f.name === 'evaluate' ? { ...f, scheduledBy: ['per-race:freeze', 'per-race:prefreeze', 'per-race:evaluate'] } : f,
    );
    expect(checkPerRaceJobs(jobs, moved, base)).toEqual([
      `${JOB_PREFIX}2025-r01-freeze: calls ${base}/predict?year=2025&race=1, not the function scheduledBy per-race:freeze (${base}/evaluate)`,
      `${JOB_PREFIX}2025-r01-freeze: OIDC audience ${base}/predict, expected ${base}/evaluate`,
      `${JOB_PREFIX}2025-r01-prefreeze: calls ${base}/predict?year=2025&race=1&policy=pre_weekend, not the function scheduledBy per-race:prefreeze (${base}/evaluate)`,
      `${JOB_PREFIX}2025-r01-prefreeze: OIDC audience ${base}/predict, expected ${base}/evaluate`,
      'evaluate is scheduledBy per-race:evaluate, which the schedule function never creates',
    ]);
  });
});
