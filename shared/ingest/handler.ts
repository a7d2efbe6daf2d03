import type { Storage } from '@google-cloud/storage';
import { assertWriteAllowed, type AuthPolicy } from '../http/auth.js';
import { toErrorResponse } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
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
    const request = ingestRequest.parse(req.body ?? {});
    const outcome: IngestOutcome = await ingestFiles(
      { repo: deps.repo, logger: deps.logger, ...(deps.storage ? { storage: deps.storage } : {}) },
      request,
    );
    return { status: 200, headers: {}, body: outcome };
  } catch (err) {
    const r = toErrorResponse(err, deps.logger);
    return { status: r.status, headers: r.headers, body: r.body };
  }
}
