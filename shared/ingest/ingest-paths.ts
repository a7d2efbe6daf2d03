import fs from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import type { IngestRequest } from './ingest.js';

/**
 * Where POST /ingest may read from: local paths only inside the configured folders
 * (INGEST_ROOTS), gs:// only from the configured buckets (INGEST_BUCKETS). The CLI is not
 * limited: its operator already has the machine. Symbolic links are followed before the
 * check, so a link inside a root cannot point outside it.
 */
export interface IngestPathPolicy {
  roots: string[];
  buckets: string[];
}

const fields = ['dump', 'laps', 'openf1Sessions'] as const;

export async function checkIngestPaths(request: IngestRequest, policy: IngestPathPolicy): Promise<void> {
  for (const field of fields) {
    const value = request[field];
    if (value !== undefined) await checkOne(field, value, policy);
  }
}

async function checkOne(field: (typeof fields)[number], value: string, policy: IngestPathPolicy): Promise<void> {
  if (value.startsWith('gs://')) {
    if (field !== 'dump') throw new ValidationError(`${field}: gs:// is read only for a dump; give a local path under ${rootsText(policy)}`);
    const bucket = /^gs:\/\/([^/]+)/.exec(value)?.[1] ?? '';
    if (!policy.buckets.includes(bucket)) {
      throw new ValidationError(
        policy.buckets.length
          ? `${field}: bucket ${bucket || '(none)'} is not one ingest reads (INGEST_BUCKETS: ${policy.buckets.join(', ')}); copy the dump there or add the bucket to INGEST_BUCKETS`
          : `${field}: no bucket is allowed (INGEST_BUCKETS is empty); set INGEST_BUCKETS to the bucket holding the dump`,
      );
    }
    return;
  }
  if (!path.isAbsolute(value) && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ValidationError(`${field}: only local paths and gs:// URIs are read`);
  }
  const outside = () =>
    new ValidationError(`${field}: ${value} is outside the folders ingest reads (${rootsText(policy)}); put the files under one of them or add their folder to INGEST_ROOTS`);
  const resolved = path.resolve(value);
  if (!(await underRoot(resolved, policy.roots, false))) throw outside();
  // Missing: the reader says "not found". Present: where it really is must be inside too.
  const real = await fs.realpath(resolved).catch(() => undefined);
  if (real !== undefined && !(await underRoot(real, policy.roots, true))) throw outside();
}

async function underRoot(p: string, roots: string[], real: boolean): Promise<boolean> {
  for (const root of roots) {
    const r = real ? await fs.realpath(root).catch(() => path.resolve(root)) : path.resolve(root);
    const rel = path.relative(r, p);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
  }
  return false;
}

/** Names the setting, not the folders: a caller learns nothing of the server's layout. */
function rootsText(policy: IngestPathPolicy): string {
  return policy.roots.length ? `INGEST_ROOTS, ${policy.roots.length} folder${policy.roots.length === 1 ? '' : 's'}` : 'INGEST_ROOTS is empty';
}
