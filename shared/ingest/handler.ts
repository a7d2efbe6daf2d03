import type { Storage } from '@google-cloud/storage';
import { assertWriteAllowed, type AuthPolicy } from '../http/auth.js';
import { toErrorResponse } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { JolpicaClient } from '../clients/jolpica.js';
import type { OpenF1Client } from '../clients/openf1.js';
import { ingestApis, splitApiBody } from './api/cli-flags.js';
import { ingestFiles, ingestRequest, type IngestOutcome } from './ingest.js';

/**
 * The ingest function's logic, free of functions-framework: authorise the write,
 * validate the JSON body with zod (400 on bad input), ingest, answer with the per-run
 * summary. Errors become responses in shared/http/errors.ts.
 */
export interface IngestHandlerDeps {
  repo: Repository;
  logger: Logger;
  auth: AuthPolicy;
  storage?: Pick<Storage, 'bucket'>;
  /** API clients for {jolpica: …} / {openf1: …} bodies. */
  jolpica?: JolpicaClient;
  openf1?: OpenF1Client;
}

export interface HandlerRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface HandlerResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export async function handleIngest(deps: IngestHandlerDeps, req: HandlerRequest): Promise<HandlerResponse> {
  try {
    if (req.method !== 'POST') {
      return { status: 405, headers: { Allow: 'POST' }, body: { error: { code: 'method_not_allowed', message: 'use POST' } } };
    }
    assertWriteAllowed(deps.auth, req.headers);
    const { api, rest } = splitApiBody(req.body ?? {});
    const files = !api || Object.keys(rest as object).length > 0;
    const request = files ? ingestRequest.parse(rest) : undefined;
    const base = { repo: deps.repo, logger: deps.logger, ...(deps.storage ? { storage: deps.storage } : {}) };
    const outcome: IngestOutcome = request ? await ingestFiles(base, request) : { runs: [] };
    if (api) {
      const clients = { ...(deps.jolpica ? { jolpica: deps.jolpica } : {}), ...(deps.openf1 ? { openf1: deps.openf1 } : {}) };
      outcome.runs.push(...(await ingestApis({ ...base, ...clients, now: () => new Date() }, api)));
    }
    return { status: 200, headers: {}, body: outcome };
  } catch (err) {
    const r = toErrorResponse(err, deps.logger);
    return { status: r.status, headers: r.headers, body: r.body };
  }
}
