import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/config.js';
import { SimulatedClock } from '../../shared/clock.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import { cronAt, planJobs } from '../../shared/scheduler/plan.js';
import { scheduleRaces } from '../../shared/scheduler/schedule.js';
import { buildSeason } from '../helpers/builders.js';
import { calendar, options } from '../scheduler/calendar.js';


describe('job planning', () => {
  it('plans a freeze after qualifying and a sync N hours after the race, per coming race', () => {
    const jobs = planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options);
    expect(jobs.map((j) => j.id)).toEqual([
      'pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync', 'pitwall-race-2025-r02-freeze', 'pitwall-race-2025-r02-sync',
    ]);
    expect(jobs[0]).toMatchObject({ schedule: '30 15 15 3 *', uri: 'https://europe-west1-proj.cloudfunctions.net/predict?year=2025&race=1' });
    expect(jobs[1]).toMatchObject({
      schedule: '0 17 16 3 *',
      uri: 'https://europe-west1-proj.cloudfunctions.net/sync-results/2025/1',
      oidc: { audience: 'https://europe-west1-proj.cloudfunctions.net/sync-results' },
    });
    expect(jobs[1]!.retry.retryCount).toBeGreaterThan(0);
  });
  it('t_minus freezes N minutes before the race; a race between freeze and sync keeps only its sync', () => {
    const jobs = planJobs(calendar, new Date('2025-03-16T13:30:00Z'), { ...options, policy: { kind: 't_minus', minutes: 30 } });
    expect(jobs[0]!.id).toBe('pitwall-race-2025-r01-sync');
    expect(jobs.find((j) => j.id === 'pitwall-race-2025-r02-freeze')!.schedule).toBe(cronAt(new Date('2025-03-23T12:30:00Z')));
  });
});

describe('scheduling the coming race weekends from the stored calendar', () => {
  /** Last season's finale and this season's first four races, a week apart from the 16th of March. */
  async function setup() {
    const repo = createMemoryRepository();
    await buildSeason(repo, { season: 2024, races: 1, firstRace: '2024-12-08', qualifying: false });
    const season = await buildSeason(repo, { season: 2025, races: 4, firstRace: '2025-03-16', qualifying: false });
    const config = parseConfig({ FUNCTIONS_BASE_URL: 'https://europe-west1-proj.cloudfunctions.net' });
    return { repo, season, config, scheduler: new InMemoryScheduler() };
  }

  it('schedules the races within the horizon, a freeze and a sync each, and nothing already over', async () => {
    const { repo, config, scheduler } = await setup();
    const summary = await scheduleRaces({ repo, scheduler, config, clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) });
    expect(summary.races).toBe(3);
    expect(summary.created.sort()).toEqual([
      'pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync', 'pitwall-race-2025-r02-freeze', 'pitwall-race-2025-r02-sync',
      'pitwall-race-2025-r03-freeze', 'pitwall-race-2025-r03-sync',
    ]);
    expect(scheduler.jobs.get('pitwall-race-2025-r01-freeze')).toMatchObject({ schedule: '30 15 15 3 *', uri: 'https://europe-west1-proj.cloudfunctions.net/predict?year=2025&race=1' });
  });

  it('a later run drops the jobs of races that are over and adds the next ones; a re-run changes nothing', async () => {
    const { repo, config, scheduler } = await setup();
    await scheduleRaces({ repo, scheduler, config, clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) });
    const clock = new SimulatedClock(new Date('2025-03-17T00:00:00Z'));
    const later = await scheduleRaces({ repo, scheduler, config, clock });
    expect(later.deleted.sort()).toEqual(['pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync']);
    expect(later.created.sort()).toEqual(['pitwall-race-2025-r04-freeze', 'pitwall-race-2025-r04-sync']);
    expect([...scheduler.jobs.keys()].sort()).toEqual([
      'pitwall-race-2025-r02-freeze', 'pitwall-race-2025-r02-sync', 'pitwall-race-2025-r03-freeze', 'pitwall-race-2025-r03-sync',
      'pitwall-race-2025-r04-freeze', 'pitwall-race-2025-r04-sync',
    ]);
    const again = await scheduleRaces({ repo, scheduler, config, clock });
    expect(again).toMatchObject({ created: [], updated: [], deleted: [], races: 3 });
  });

  it('refuses to schedule without FUNCTIONS_BASE_URL: the jobs would have no target', async () => {
    const { repo, scheduler } = await setup();
    await expect(scheduleRaces({ repo, scheduler, config: parseConfig({}), clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) })).rejects.toThrow(/FUNCTIONS_BASE_URL is not set/);
    expect(scheduler.jobs.size).toBe(0);
  });
});
