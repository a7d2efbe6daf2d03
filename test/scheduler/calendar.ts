import type { Race } from '../../shared/domain/reference.js';
import type { PlanOptions } from '../../shared/scheduler/plan.js';

/** Three 2025 race weekends and the options the scheduler tests plan them with. */
export const race = (round: number, date: string, quali: string): Race => ({
  id: round, season: 2025, round, circuitId: 1, name: `Race ${round} Grand Prix`, url: null,
  sessions: { race: { date, time: '13:00:00' }, qualifying: { date: quali, time: '14:00:00' } },
});
export const calendar = [race(1, '2025-03-16', '2025-03-15'), race(2, '2025-03-23', '2025-03-22'), race(3, '2025-04-06', '2025-04-05')];
export const options: PlanOptions = {
  policy: { kind: 'post_qualifying' },
  functionsBaseUrl: 'https://europe-west1-proj.cloudfunctions.net/',
  serviceAccountEmail: 'pitwall-scheduler@proj.iam.gserviceaccount.com',
  syncAfterHours: 4,
  horizonDays: 30,
};
