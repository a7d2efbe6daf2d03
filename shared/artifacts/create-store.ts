import type { ArtifactStore } from './artifact-store.js';
import { createLocalFolderStore } from './local-folder-store.js';

/**
 * The store ARTIFACT_STORE_URI names: gs://bucket/prefix → GCS (the client is built here,
 * with GCS_API_ENDPOINT for the local fake in tests), anything else → a local folder.
 */
export async function createArtifactStore(uri: string, options: { gcsApiEndpoint?: string; projectId?: string } = {}): Promise<ArtifactStore> {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) return createLocalFolderStore(uri.replace(/^file:\/\//, ''));
  const [{ Storage }, { createGcsStore }] = await Promise.all([import('@google-cloud/storage'), import('./gcs-store.js')]);
  const storage = new Storage({
    ...(options.projectId ? { projectId: options.projectId } : {}),
    ...(options.gcsApiEndpoint ? { apiEndpoint: options.gcsApiEndpoint, projectId: options.projectId ?? 'local' } : {}),
  });
  return createGcsStore(storage.bucket(m[1]!), m[2]);
}
