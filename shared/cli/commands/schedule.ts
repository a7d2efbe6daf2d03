import { createAppContext } from '../../app/context.js';
import { ValidationError } from '../../errors.js';
import { SimulatedClock, systemClock } from '../../clock.js';
import { createScheduler, scheduleRaces } from '../../scheduler/schedule.js';
import { flagCommand } from '../command.js';

export const scheduleCommand = flagCommand({
  summary: 'create/update the Cloud Scheduler jobs of the coming races and delete past ones (in memory without GCP_PROJECT)',
  usage: 'pitwall schedule [--now <ISO instant>]',
  flags: { now: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const at = values.now ? new Date(values.now) : undefined;
    if (at && Number.isNaN(at.getTime())) throw new ValidationError(`--now must be an ISO instant, got ${values.now}`);
    // Before the database opens: a missing setting is the whole answer.
    if (!config.functionsBaseUrl) {
      throw new ValidationError('FUNCTIONS_BASE_URL is not set: the jobs would have no target (e.g. FUNCTIONS_BASE_URL=http://127.0.0.1:8080 for a local stack)');
    }
    const app = await createAppContext(config, logger);
    try {
      const scheduler = await createScheduler(config);
      const summary = await scheduleRaces({ repo: app.repo, scheduler, clock: at ? new SimulatedClock(at) : systemClock, config });
      stdout.write(`${JSON.stringify({ scheduler: config.gcp.project ? 'cloud-scheduler' : 'in-memory', ...summary }, null, 2)}\n`);
      return 0;
    } finally {
      await app.close();
    }
  },
});
