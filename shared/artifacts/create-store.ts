import { createStorageClient, type GcsOptions } from '../clients/gcs.js';
import type { ArtifactStore } from './artifact-store.js';
import { createLocalFolderStore } from './local-folder-store.js';

/**
 * The store ARTIFACT_STORE_URI names: gs://bucket/prefix → GCS (the client is built here,
 * with GCS_API_ENDPOINT for the local fake in tests), anything else → a local folder.
 */
export async function createArtifactStore(uri: string, options: GcsOptions = {}): Promise<ArtifactStore> {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) return createLocalFolderStore(uri.replace(/^file:\/\//, ''));
  const [storage, { createGcsStore }] = await Promise.all([createStorageClient(options), import('./gcs-store.js')]);
  return createGcsStore(storage.bucket(m[1]!), m[2]);
}
