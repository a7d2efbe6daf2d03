// Entry point of the deployed package (package.json "main"): registers the functions with
// functions-framework. Each function deploys with its own --entry-point (FUNCTION_TARGET);
// an instance loads only that function's module, so the read API does not start
// TensorFlow for the pit model, nor the pit function the scheduler client. Without a
// target (local tools), every function is registered.
import { installBodyDeferral } from '../shared/http/body.js';

// Before functions-framework creates its server: our functions read bodies themselves, capped
// per route after their checks, instead of the framework buffering up to 1 GB first.
installBodyDeferral();

const functions: Record<string, () => Promise<unknown>> = {
  ingest: () => import('./ingest/index.js'),
  predict: () => import('./predict/index.js'),
  syncResults: () => import('./sync-results/index.js'),
  evaluate: () => import('./evaluate/index.js'),
  api: () => import('./api/index.js'),
  schedule: () => import('./schedule/index.js'),
  pits: () => import('./pits/index.js'),
};

const target = process.env.FUNCTION_TARGET;
const load = target ? functions[target] : undefined;
if (load) await load();
else await Promise.all(Object.values(functions).map((f) => f()));
