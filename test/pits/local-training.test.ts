import { describe, expect, it } from 'vitest';
import { localPitTraining, pitModelUsableBefore } from '../../shared/pits/local-training.js';
import { featureSetId } from '../../shared/pits/features.js';
import { defaultTrainPit } from '../../shared/pits/train.js';

describe('the quick pit model of the local stack', () => {
  it('before a replayed season, trains on seasons two back and holds out the one before', () => {
    expect(localPitTraining(defaultTrainPit, 2024)).toMatchObject({ trainSeasons: [2019, 2022], thresholdSeason: 2023, epochs: 2 });
    // Outside a replay: the job's seasons, fewer epochs.
    expect(localPitTraining(defaultTrainPit)).toEqual({ ...defaultTrainPit, epochs: 2 });
  });

  const current = { featureSet: featureSetId };
  it('serves a replay only with a model that has seen nothing of the season, held-out season included', () => {
    expect(pitModelUsableBefore({ dataToSeason: 2022, metrics: current }, 2024)).toBe(true);
    expect(pitModelUsableBefore({ dataToSeason: 2023, metrics: current }, 2024)).toBe(false);
    expect(pitModelUsableBefore({ dataToSeason: 2023, metrics: current })).toBe(true);
  });

  it('does not count a model trained on another feature list (or registered before lists were): the local stack trains a new one', () => {
    expect(pitModelUsableBefore({ dataToSeason: 2022, metrics: { featureSet: 'a1b2c3d4e5f6' } }, 2024)).toBe(false);
    expect(pitModelUsableBefore({ dataToSeason: 2022, metrics: {} })).toBe(false);
  });
});
