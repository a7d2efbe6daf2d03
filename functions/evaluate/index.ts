import { http } from '@google-cloud/functions-framework';
import { bodyPolicyOf, createFunction } from '../../shared/api/functions.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { systemClock } from '../../shared/lifecycle/clock.js';
import { app } from '../context.js';

// Thin adapter: the logic is shared/api (createFunction('evaluate')), testable without a server.
http('evaluate', toHttpFunction(createFunction('evaluate', { app, clock: systemClock }), bodyPolicyOf('evaluate', app), app.logger.child({ function: 'evaluate' })));
