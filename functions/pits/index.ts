import { http } from '@google-cloud/functions-framework';
import { PITS_BODY_MAX_BYTES } from '../../shared/http/body.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { createPitsFunction } from '../../shared/pits/function.js';
import { app } from '../context.js';

// GET /pits/{raceId}?lap=N (a stored race), GET /pits/{raceId}/timeline (lap by lap), or
// POST /pits {lap, totalLaps, teams, laps} (a live race) → each driver's P(pit within 1, 3,
// 5 laps) and the model version. Thin adapter over shared/pits.
http('pits', toHttpFunction(await createPitsFunction(app), { maxBytes: PITS_BODY_MAX_BYTES }, app.logger.child({ function: 'pits' })));
