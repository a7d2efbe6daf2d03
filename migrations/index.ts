import type { Knex } from 'knex';
import * as m001 from './001_reference_data.js';
import * as m002 from './002_ingestion_runs.js';
import * as m003 from './003_models.js';
import * as m004 from './004_predictions.js';
import * as m005 from './005_prediction_median_position.js';
import * as m006 from './006_snapshot_integrity.js';
import * as m007 from './007_frozen_snapshots.js';
import * as m008 from './008_ingestion_heartbeat.js';
import * as m009 from './009_result_versions.js';
import * as m010 from './010_weather.js';
import * as m011 from './011_freeze_attempts.js';
import * as m012 from './012_race_control.js';
import * as m013 from './013_live_timing.js';
import * as m014 from './014_live_ticks.js';
import * as m015 from './015_forecast_explanations.js';
import * as m016 from './016_championship_odds.js';
import * as m018 from './018_pre_weekend.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * The versioned migrations, in order. Listed explicitly (not discovered on disk) so the
 * same list runs from TypeScript sources in tests and from dist/ in production.
 */
export const migrations: [name: string, migration: Migration][] = [
  ['001_reference_data', m001],
  ['002_ingestion_runs', m002],
  ['003_models', m003],
  ['004_predictions', m004],
  ['005_prediction_median_position', m005],
  ['006_snapshot_integrity', m006],
  ['007_frozen_snapshots', m007],
  ['008_ingestion_heartbeat', m008],
  ['009_result_versions', m009],
  ['010_weather', m010],
  ['011_freeze_attempts', m011],
  ['012_race_control', m012],
  ['013_live_timing', m013],
  ['014_live_ticks', m014],
  ['015_forecast_explanations', m015],
  ['016_championship_odds', m016],
  ['018_pre_weekend', m018],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([n]) => n === name);
    if (!found) throw new Error(`unknown migration ${name}`);
    return found[1];
  },
};
