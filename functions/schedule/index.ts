import { http } from '@google-cloud/functions-framework';
import { writeBodyPolicy } from '../../shared/api/write-handlers.js';
import { authPolicyOf } from '../../shared/http/auth.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { withErrors } from '../../shared/http/handler.js';
import { systemClock } from '../../shared/lifecycle/clock.js';
import { createScheduler, scheduleHandler } from '../../shared/scheduler/schedule.js';
import { app } from '../context.js';

// POST /schedule: creates/updates/deletes the per-race Cloud Scheduler jobs (idempotent).
const auth = authPolicyOf(app.config);
http(
  'schedule',
  toHttpFunction(
    withErrors(
      app.logger.child({ function: 'schedule' }),
      scheduleHandler({ repo: app.repo, scheduler: () => createScheduler(app.config), clock: systemClock, config: app.config, auth }),
    ),
    writeBodyPolicy(auth),
    app.logger.child({ function: 'schedule' }),
  ),
);
