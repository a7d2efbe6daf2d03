import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { loadRaceModel } from './model-artifacts.js';
import { PoolLearner, type PoolLearnerSnapshot } from './pool.js';
import type { RaceModel } from './race-model.js';
import type { LearntThrough } from './version-rules.js';

/**
 * A race model version is a season's network plus the pool learnt up to some race. The
 * training job writes both under race/<version>/ (pool.json beside model.json); each update
 * after a race writes only race/<base>/updates/<season>r<round>/pool.json, which names the
 * network it reads through.
 */
export const POOL_FILE = 'pool.json';

export interface PoolArtifact {
  formatVersion: 1;
  /** Artifact key prefix of the network (its model.json and weights). */
  network: string;
  /** The latest race whose result the pool learnt, with its start: no freeze before it may use this pool. */
  through: LearntThrough | null;
  learner: PoolLearnerSnapshot;
}

export interface PooledRaceModel {
  model: RaceModel;
  /** Null for a network trained before the pool existed: it serves alone. */
  pool: PoolArtifact | null;
}

export async function savePool(store: ArtifactStore, prefix: string, pool: PoolArtifact): Promise<string> {
  await store.put(`${prefix}/${POOL_FILE}`, `${JSON.stringify(pool)}\n`, 'application/json');
  return store.uriOf(prefix);
}

export async function readPool(store: ArtifactStore, prefix: string): Promise<PoolArtifact | null> {
  if (!(await store.list(`${prefix}/`)).includes(`${prefix}/${POOL_FILE}`)) return null;
  return JSON.parse((await store.get(`${prefix}/${POOL_FILE}`)).toString('utf8')) as PoolArtifact;
}

/** A registered version's network and pool, from its artifact folder. */
export async function loadPooledRaceModel(store: ArtifactStore, prefix: string): Promise<PooledRaceModel> {
  const pool = await readPool(store, prefix);
  return { model: await loadRaceModel(store, pool?.network ?? prefix), pool };
}

export const learnerOf = (pool: PoolArtifact): PoolLearner => PoolLearner.restore(pool.learner);

