import type { Storage } from '@google-cloud/storage';
import type { IngestSettings } from '../config/config.js';
import { assertWriteAllowed, type AuthPolicy } from '../http/auth.js';
import { mediaTypeOf } from '../http/body.js';
import { toErrorResponse } from '../http/errors.js';
import { UnsupportedMediaTypeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { JolpicaClient } from '../clients/jolpica.js';
import type { OpenF1Client } from '../clients/openf1.js';
import { ingestApis, splitApiBody } from './api/cli-flags.js';
import { ingestFiles, ingestRequest, type IngestOutcome } from './ingest.js';
import { checkIngestPaths } from './ingest-paths.js';

/**
 * The ingest function's logic, free of functions-framework: authorise the write,
 * validate the JSON body with zod (400 on bad input), ingest, answer with the per-run
 * summary. Errors become responses in shared/http/errors.ts.
 */
export interface IngestHandlerDeps {
  repo: Repository;
  logger: Logger;
  auth: AuthPolicy;
  /** Where local paths and gs:// buckets may be read from, and the zip caps (config `ingest`). */
  ingest: IngestSettings;
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
    // Only JSON: a form post (urlencoded, multipart, text/plain) needs no CORS preflight, so
    // any web page could make a browser send one.
    const type = mediaTypeOf(req.headers);
    if (type !== 'application/json') {
      throw new UnsupportedMediaTypeError(`ingest takes a JSON body: send Content-Type: application/json (got ${type ? type.slice(0, 100) : 'none'})`);
    }
    await assertWriteAllowed(deps.auth, req.headers);
    const { api, rest } = splitApiBody(req.body ?? {});
    const files = !api || Object.keys(rest as object).length > 0;
    const request = files ? ingestRequest.parse(rest) : undefined;
    if (request) await checkIngestPaths(request, deps.ingest);
    const base = { repo: deps.repo, logger: deps.logger, zipLimits: deps.ingest.zip, ...(deps.storage ? { storage: deps.storage } : {}) };
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
