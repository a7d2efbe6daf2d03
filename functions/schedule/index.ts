import { http } from '@google-cloud/functions-framework';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { withErrors } from '../../shared/http/handler.js';
import { systemClock } from '../../shared/lifecycle/clock.js';
import { createScheduler, scheduleHandler } from '../../shared/scheduler/schedule.js';
import { app } from '../context.js';

// POST /schedule: creates/updates/deletes the per-race Cloud Scheduler jobs (idempotent).
const auth = { env: app.config.env, ...(app.config.apiKey ? { apiKey: app.config.apiKey } : {}) };
http(
  'schedule',
  toHttpFunction(
    withErrors(
      app.logger.child({ function: 'schedule' }),
      scheduleHandler({ repo: app.repo, scheduler: () => createScheduler(app.config), clock: systemClock, config: app.config, auth }),
    ),
  ),
);
