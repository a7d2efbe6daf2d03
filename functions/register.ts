import { http } from '@google-cloud/functions-framework';
import { createComposition } from '../shared/app/compose.js';
import { functionSpec, type EntryPoint } from '../shared/app/manifest.js';
import { toHttpFunction } from '../shared/http/express-adapter.js';
import { systemClock } from '../shared/clock.js';
import { app } from './context.js';

const composition = createComposition({ app, clock: systemClock });

/** Registers one function with functions-framework, built by the composition root (shared/app/compose.ts). */
export async function register(name: EntryPoint): Promise<void> {
  functionSpec(name); // a function missing from the manifest fails at load, not at the first request
  http(name, toHttpFunction(await composition.build(name), app.logger.child({ function: name })));
}
