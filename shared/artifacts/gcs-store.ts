import type { Bucket } from '@google-cloud/storage';
import { ArtifactNotFoundError, checkKey, type ArtifactStore } from './artifact-store.js';

/**
 * Artifacts in a GCS bucket under a prefix. The Storage client is created at the edge
 * (createArtifactStore) and its bucket passed in. Uploads are single-request (the
 * artifacts are small), so no resumable-upload session state is left behind on failure.
 */
export function createGcsStore(bucket: Bucket, prefix = ''): ArtifactStore {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  const name = (key: string) => (base ? `${base}/${checkKey(key)}` : checkKey(key));
  const uriOf = (key: string) => `gs://${bucket.name}/${name(key)}`;
  return {
    root: `gs://${bucket.name}${base ? `/${base}` : ''}`,
    async put(key, data, contentType = 'application/octet-stream') {
      await bucket.file(name(key)).save(typeof data === 'string' ? data : Buffer.from(data), { resumable: false, contentType });
    },
    async get(key) {
      try {
        const [buf] = await bucket.file(name(key)).download();
        return buf;
      } catch (err) {
        if ((err as { code?: number }).code === 404) throw new ArtifactNotFoundError(uriOf(key));
        throw err;
      }
    },
    async list(p) {
      const full = base ? `${base}/${p}` : p;
      const [files] = await bucket.getFiles({ prefix: full, autoPaginate: true });
      return files.map((f) => (base ? f.name.slice(base.length + 1) : f.name)).sort();
    },
    uriOf,
  };
}
