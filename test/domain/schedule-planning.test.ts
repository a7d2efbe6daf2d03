import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/config.js';
import { SimulatedClock } from '../../shared/clock.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import { cronAt, liveCron, planJobs } from '../../shared/scheduler/plan.js';
import { scheduleRaces } from '../../shared/scheduler/schedule.js';
import { buildSeason } from '../helpers/builders.js';
import { calendar, options } from '../scheduler/calendar.js';


describe('job planning', () => {
  it('plans, per coming race, the ingest after each session, the freeze, the weather refresh and the sync, each at its function', () => {
    const jobs = planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options);
    const base = 'https://europe-west1-proj.cloudfunctions.net';
    expect(jobs.map((j) => j.id)).toEqual([
      'pitwall-race-2025-r01-qualifying', 'pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-weather', 'pitwall-race-2025-r01-sync',
      'pitwall-race-2025-r01-postrace', 'pitwall-race-2025-r01-openf1',
      // R2's freeze is 21 days away: Open-Meteo's range starts 16 days before, so no weather job yet.
      'pitwall-race-2025-r02-qualifying', 'pitwall-race-2025-r02-freeze', 'pitwall-race-2025-r02-sync', 'pitwall-race-2025-r02-postrace', 'pitwall-race-2025-r02-openf1',
    ]);
    const byId = new Map(jobs.map((j) => [j.id.replace('pitwall-race-2025-', ''), j]));
    // Qualifying starts 14:00 on the 15th; the entry list is asked for two hours later, through the loader.
    expect(byId.get('r01-qualifying')).toMatchObject({
      schedule: '0 16 15 3 *', uri: `${base}/ingest`, body: { jolpica: { season: 2025, round: 1, parts: ['drivers', 'qualifying'], require: true } },
      oidc: { audience: `${base}/ingest` },
    });
    // The freeze comes after that ingest, and is retried until the race start (13:00 on the 16th).
    const freeze = byId.get('r01-freeze')!;
    expect(freeze).toMatchObject({ schedule: '15 16 15 3 *', uri: `${base}/predict?year=2025&race=1` });
    expect(freeze.retry.maxRetryDurationSeconds).toBe((Date.parse('2025-03-16T13:00:00Z') - Date.parse('2025-03-15T16:15:00Z')) / 1000);
    expect(byId.get('r01-weather')).toMatchObject({ schedule: '17 */6 * * *', body: { weather: { season: 2025, round: 1 } } });
    expect(byId.get('r01-sync')).toMatchObject({
      schedule: '0 17 16 3 *', uri: `${base}/sync-results/2025/1`, oidc: { audience: `${base}/sync-results` },
    });
    expect(byId.get('r01-postrace')).toMatchObject({ schedule: '30 19 16 3 *', body: { jolpica: { parts: ['pitstops', 'laps', 'standings'], require: true } } });
    expect(byId.get('r01-openf1')).toMatchObject({ body: { openf1: { year: 2025, round: 1 } } });
    for (const j of jobs) expect(j.retry.retryCount).toBeGreaterThan(0);
  });

  it('a sprint weekend also ingests the sprint; a job stays planned while Cloud Scheduler may still retry it, then is dropped', () => {
    const sprintRace = { ...calendar[0]!, sessions: { ...calendar[0]!.sessions, sprint: { date: '2025-03-15', time: '10:00:00' } } };
    const friday = planJobs([sprintRace], new Date('2025-03-14T00:00:00Z'), options);
    expect(friday.find((j) => j.id.endsWith('-sprint'))).toMatchObject({ schedule: '30 11 15 3 *', body: { jolpica: { parts: ['sprint'] } } });
    // What the scheduler holds from Friday's plan: a past job is kept while it may be retried, never created anew.
    const existing = new Set(friday.map((j) => j.id));
    const kinds = (at: string, held = existing) => planJobs([sprintRace], new Date(at), { ...options, existing: held }).map((j) => j.id.replace('pitwall-race-2025-r01-', ''));
    // Sunday morning: the freeze and the qualifying ingest may still be retried until the start, the sprint's for two days.
    expect(kinds('2025-03-16T08:00:00Z')).toEqual(['qualifying', 'sprint', 'freeze', 'sync', 'postrace', 'openf1']);
    // After the start only the post-race work; on Tuesday the sync's day of retries is over, the ingests' two days not yet.
    expect(kinds('2025-03-16T13:30:00Z')).toEqual(['sprint', 'sync', 'postrace', 'openf1']);
    expect(kinds('2025-03-18T12:00:00Z')).toEqual(['postrace', 'openf1']);
    expect(kinds('2025-03-19T12:00:00Z')).toEqual([]);
    // A first plan on Sunday evening creates only what is still to come.
    expect(kinds('2025-03-16T18:00:00Z', new Set())).toEqual(['postrace']);
  });

  it('t_minus freezes N minutes before the race; a race between freeze and sync keeps only its sync', () => {
    const jobs = planJobs(calendar, new Date('2025-03-16T13:30:00Z'), { ...options, policy: { kind: 't_minus', minutes: 30 } });
    expect(jobs[0]!.id).toBe('pitwall-race-2025-r01-sync');
    expect(jobs.find((j) => j.id === 'pitwall-race-2025-r02-freeze')!.schedule).toBe(cronAt(new Date('2025-03-23T12:30:00Z')));
  });
});

describe('the live timing job', () => {
  const live = (at: string) => planJobs([calendar[0]!], new Date(at), { ...options, live: true }).find((j) => j.id.endsWith('-live'));

  it('polls every minute from 5 minutes before the start until 3 hours after, with no retries (the next minute polls again), only when live timing is on', () => {
    expect(live('2025-03-14T00:00:00Z')).toMatchObject({
      uri: expect.stringMatching(/\/ingest\/live$/),
      body: { season: 2025, round: 1 },
      retry: { retryCount: 0 },
    });
    expect(live('2025-03-14T00:00:00Z')!.schedule).toBe(liveCron(new Date(`${calendar[0]!.sessions.race.date}T${calendar[0]!.sessions.race.time}Z`)));
    expect(planJobs([calendar[0]!], new Date('2025-03-14T00:00:00Z'), options).some((j) => j.id.endsWith('-live'))).toBe(false);
    // Gone once the window is over; still planned during the race.
    const start = Date.parse(`${calendar[0]!.sessions.race.date}T${calendar[0]!.sessions.race.time}Z`);
    expect(live(new Date(start + 170 * 60_000).toISOString())).toBeDefined();
    expect(live(new Date(start + 181 * 60_000).toISOString())).toBeUndefined();
  });

  it('spans the race window as cron lines: within a day, across midnight UTC, and cut at a month end cron cannot cross', () => {
    expect(liveCron(new Date('2025-03-16T04:00:00Z'))).toBe('* 3-7 16 3 *');
    expect(liveCron(new Date('2024-11-23T22:00:00Z'))).toBe('* 21-23,0-1 23,24 11 *');
    expect(liveCron(new Date('2024-11-30T22:00:00Z'))).toBe('* 21-23 30 11 *');
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

  it('schedules the races within the horizon, each with its ingest, freeze, weather and sync jobs, and nothing already over', async () => {
    const { repo, config, scheduler } = await setup();
    const summary = await scheduleRaces({ repo, scheduler, config, clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) });
    expect(summary.races).toBe(3);
    // Each race: its qualifying ingest, the two freezes, the sync, and the post-race ingests.
    const perRace = (round: number) => ['qualifying', 'prefreeze', 'freeze', 'sync', 'postrace', 'openf1'].map((k) => `pitwall-race-2025-r0${round}-${k}`);
    expect(summary.created.filter((id) => !id.endsWith('-weather')).sort()).toEqual([...perRace(1), ...perRace(2), ...perRace(3)].sort());
    // The weather is refreshed only for races whose freeze is within Open-Meteo's 16 days.
    expect(summary.created.filter((id) => id.endsWith('-weather')).sort()).toEqual(['pitwall-race-2025-r01-weather', 'pitwall-race-2025-r02-weather']);
    expect(scheduler.jobs.get('pitwall-race-2025-r01-freeze')).toMatchObject({ schedule: '15 16 15 3 *', uri: 'https://europe-west1-proj.cloudfunctions.net/predict?year=2025&race=1' });
    // The pre-weekend freeze: a day before first practice, or (none on record here) three days before the race day.
    expect(scheduler.jobs.get('pitwall-race-2025-r01-prefreeze')).toMatchObject({ schedule: '0 0 13 3 *', uri: 'https://europe-west1-proj.cloudfunctions.net/predict?year=2025&race=1&policy=pre_weekend' });
  });

  it('a later run drops the jobs of races that are over and adds the next ones; a re-run changes nothing', async () => {
    const { repo, config, scheduler } = await setup();
    await scheduleRaces({ repo, scheduler, config, clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) });
    const clock = new SimulatedClock(new Date('2025-03-19T00:00:00Z'));
    const later = await scheduleRaces({ repo, scheduler, config, clock });
    const round = (r: number, ids: string[]) => ids.filter((id) => id.startsWith(`pitwall-race-2025-r0${r}-`));
    expect(later.deleted.sort()).toEqual(round(1, later.deleted).sort());
    expect(later.deleted.length).toBeGreaterThan(0);
    expect(round(4, later.created).filter((id) => !id.endsWith('-weather')).sort()).toEqual(['qualifying', 'prefreeze', 'freeze', 'sync', 'postrace', 'openf1'].map((k) => `pitwall-race-2025-r04-${k}`).sort());
    expect(round(1, [...scheduler.jobs.keys()])).toEqual([]);
    expect(new Set([...scheduler.jobs.keys()].map((id) => id.slice(0, 'pitwall-race-2025-r0N'.length)))).toEqual(new Set(['pitwall-race-2025-r02', 'pitwall-race-2025-r03', 'pitwall-race-2025-r04']));
    const again = await scheduleRaces({ repo, scheduler, config, clock });
    expect(again).toMatchObject({ created: [], updated: [], deleted: [], races: 3 });
  });

  it('refuses to schedule without FUNCTIONS_BASE_URL: the jobs would have no target', async () => {
    const { repo, scheduler } = await setup();
    await expect(scheduleRaces({ repo, scheduler, config: parseConfig({}), clock: new SimulatedClock(new Date('2025-03-10T00:00:00Z')) })).rejects.toThrow(/FUNCTIONS_BASE_URL is not set/);
    expect(scheduler.jobs.size).toBe(0);
  });
});
