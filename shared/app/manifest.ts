import manifest from './function-manifest.json' with { type: 'json' };

/** One deployed function, as shared/app/function-manifest.json declares it. */
export interface FunctionSpec {
  /** The deployed function and its directory under functions/; its URL is FUNCTIONS_BASE_URL/<name>. */
  name: string;
  /** The target it registers with functions-framework (FUNCTION_TARGET). */
  entryPoint: EntryPoint;
  /** Where the one-port dev server serves it; the function sees the path after it. */
  mount: string;
  access: 'read' | 'write';
  description: string;
  /** The Scheduler jobs that call it: Terraform's by name, the schedule function's as per-race:<kind>. */
  scheduledBy: string[];
}

export const entryPoints = ['ingest', 'predict', 'syncResults', 'evaluate', 'schedule', 'api', 'pits'] as const;
export type EntryPoint = (typeof entryPoints)[number];

export const functionManifest: readonly FunctionSpec[] = manifest.functions as FunctionSpec[];

export function functionSpec(entryPoint: EntryPoint): FunctionSpec {
  const spec = functionManifest.find((f) => f.entryPoint === entryPoint);
  if (!spec) throw new Error(`function ${entryPoint} is not in shared/app/function-manifest.json`);
  return spec;
}

/** The write functions' deployed names (their OIDC audiences are FUNCTIONS_BASE_URL/<name>). */
export const writeFunctionNames = functionManifest.filter((f) => f.access === 'write').map((f) => f.name);
