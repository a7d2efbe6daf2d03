import type { Storage } from '@google-cloud/storage';

export interface GcsOptions {
  /** A GCS JSON API endpoint other than Google's (the local fake in tests). */
  gcsApiEndpoint?: string;
  projectId?: string;
}

/**
 * The one way pitwall builds a GCS client (artifact store, gs:// dumps, health checks):
 * Application Default Credentials in the cloud, or an explicit endpoint for the fake.
 * Loaded on demand so local runs on a folder never load the client library.
 */
export async function createStorageClient(options: GcsOptions = {}): Promise<Storage> {
  const { Storage } = await import('@google-cloud/storage');
  return new Storage({
    ...(options.projectId ? { projectId: options.projectId } : {}),
    ...(options.gcsApiEndpoint ? { apiEndpoint: options.gcsApiEndpoint, projectId: options.projectId ?? 'local' } : {}),
  });
}
