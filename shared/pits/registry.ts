import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { ModelVersionsStore } from '../repository/model-versions-store.js';
import type { PitModelArtifact } from './model.js';

/**
 * Where trained pit models go: an artifact (JSON) in the artifact store and a
 * model_versions row of kind 'pit'. The training job publishes; serving reads the latest.
 */
export interface PitModelRegistry {
  publish(artifact: PitModelArtifact, metrics: Record<string, number | string>): Promise<{ version: string }>;
  latest(): Promise<{ version: string; artifact: PitModelArtifact } | undefined>;
}

/**
 * Pit models in the artifact store (pit/<version>/pit-model.json: topology, weights and
 * metadata in one file) with a model_versions row of kind 'pit' pointing at it.
 */
export function createPitModelRegistry(deps: {
  artifacts: ArtifactStore;
  versions: ModelVersionsStore;
  codeRevision?: string | null;
  trainingRunId?: number | null;
  now?: () => Date;
}): PitModelRegistry {
  const now = deps.now ?? (() => new Date());
  const keyOf = (version: string) => `pit/${version}/pit-model.json`;
  return {
    async publish(artifact, metrics) {
      const trainedAt = now();
      const version = `pit-${trainedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
      const key = keyOf(version);
      await deps.artifacts.put(key, JSON.stringify(artifact), 'application/json');
      const seasons = artifact.trainedOn.seasons;
      await deps.versions.register({
        kind: 'pit',
        version,
        trainedAt,
        dataFromSeason: Math.min(...seasons),
        dataToSeason: Math.max(...seasons),
        dataSnapshot: `${artifact.trainedOn.rows} lap windows, ${artifact.trainedOn.positives} stops`,
        metrics,
        artifactUri: deps.artifacts.uriOf(key),
        codeRevision: deps.codeRevision ?? null,
        trainingRunId: deps.trainingRunId ?? null,
      });
      return { version };
    },
    async latest() {
      const v = await deps.versions.latest('pit');
      if (!v) return undefined;
      const artifact = JSON.parse((await deps.artifacts.get(keyOf(v.version))).toString('utf8')) as PitModelArtifact;
      return { version: v.version, artifact };
    },
  };
}
