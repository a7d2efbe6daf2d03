/**
 * Where trained models live: a local folder by default, a GCS bucket in production. Keys
 * are '/'-separated paths relative to the store's root (e.g. 'race/v2024.../model.json').
 */
export interface ArtifactStore {
  /** The store's root, as a URI ('file:///abs/dir' or 'gs://bucket/prefix'). */
  readonly root: string;
  put(key: string, data: Uint8Array | string, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The URI of a key (what model_versions.artifact_uri stores). */
  uriOf(key: string): string;
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly uri: string) {
    super(`artifact ${uri} not found`);
    this.name = 'ArtifactNotFoundError';
  }
}

export function checkKey(key: string): string {
  const parts = key.split('/');
  if (!key || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new RangeError(`invalid artifact key "${key}"`);
  }
  return key;
}
