// Entry point of the deployed package (package.json "main"): registers the functions with
// functions-framework. Each function deploys with its own --entry-point (FUNCTION_TARGET);
// an instance loads only that function's module, so the read API does not start
// TensorFlow for the pit model, nor the pit function the scheduler client. Without a
// target (local tools), every function is registered.
import { functionManifest } from '../shared/app/manifest.js';
import { installBodyDeferral } from '../shared/http/body.js';

// Before functions-framework creates its server: our functions read bodies themselves, capped
// per route after their checks, instead of the framework buffering up to 1 GB first.
installBodyDeferral();

const target = process.env.FUNCTION_TARGET;
const spec = functionManifest.find((f) => f.entryPoint === target);
// Each module is one line over functions/register.ts; its directory is the function's name.
const load = (name: string) => import(`./${name}/index.js`);
if (spec) await load(spec.name);
else await Promise.all(functionManifest.map((f) => load(f.name)));
