import { ValidationError } from '../../errors.js';
import type { RunOutcome } from '../ingest.js';
import { ingestJolpica, ingestOpenF1, openf1Request, type ApiIngestDeps, type OpenF1Request } from './api-ingest.js';
import { jolpicaRequest, parseJolpicaTarget, type JolpicaRequest } from './jolpica-ingest.js';

export interface ApiRequests {
  jolpica?: JolpicaRequest;
  openf1?: OpenF1Request;
}

/** `--jolpica 2023[/9] [--jolpica-parts results,laps] [--openf1 2024 | --openf1 9488,9472]` → requests (undefined when none). */
export function parseApiFlags(values: { jolpica?: string; 'jolpica-parts'?: string; openf1?: string }, usage: string): ApiRequests | undefined {
  const out: ApiRequests = {};
  const fail = (message: string) => new ValidationError(`${message}\nusage: ${usage}`);
  if (values.jolpica) {
    const target = parseJolpicaTarget(values.jolpica);
    if (!target) throw fail(`--jolpica must be SEASON or SEASON/ROUND, got ${values.jolpica}`);
    const parts = values['jolpica-parts']?.split(',').map((p) => p.trim());
    const parsed = jolpicaRequest.safeParse({ ...target, ...(parts ? { parts } : {}) });
    if (!parsed.success) throw fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    out.jolpica = parsed.data;
  } else if (values['jolpica-parts']) {
    throw fail('--jolpica-parts needs --jolpica');
  }
  if (values.openf1) {
    const numbers = values.openf1.split(',').map((v) => Number(v.trim()));
    const isYear = numbers.length === 1 && numbers[0]! >= 2023 && numbers[0]! <= 2100;
    const parsed = openf1Request.safeParse(isYear ? { year: numbers[0] } : { sessionKeys: numbers });
    if (!parsed.success) throw fail(`--openf1 must be a year (2023 on) or session keys: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    out.openf1 = parsed.data;
  }
  return out.jolpica || out.openf1 ? out : undefined;
}

/** Jolpica first (it may create the races), then OpenF1 (which needs them). */
export async function ingestApis(deps: ApiIngestDeps, requests: ApiRequests): Promise<RunOutcome[]> {
  const runs: RunOutcome[] = [];
  if (requests.jolpica) runs.push(await ingestJolpica(deps, requests.jolpica));
  if (requests.openf1) runs.push(await ingestOpenF1(deps, requests.openf1));
  return runs;
}

/** The API part of the ingest function's JSON body: {jolpica?: {season, round?, parts?}, openf1?: {year} | {sessionKeys}}. */
