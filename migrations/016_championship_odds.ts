import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * The championship odds after each round (issue 17, shared/championship): one row per season,
 * round and entity (a driver or a constructor) with its P(title), P(top 3), expected final
 * points, their 10/50/90% quantiles and a coarse histogram ({from, width, shares}); `model` is
 * the learner state the strengths came from and `samples` the simulated seasons. A recompute of
 * a round replaces its whole set in one transaction (repository/championship-store.ts), so a
 * round holds exactly one set.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE championship_odds (
      season integer NOT NULL,
      round integer NOT NULL CHECK (round >= 1),
      race_id integer NOT NULL REFERENCES races(id) ON DELETE CASCADE,
      entity text NOT NULL CHECK (entity IN ('driver', 'constructor')),
      entity_id integer NOT NULL,
      current_points double precision NOT NULL,
      p_title double precision NOT NULL CHECK (p_title >= 0 AND p_title <= 1),
      p_top3 double precision NOT NULL CHECK (p_top3 >= 0 AND p_top3 <= 1),
      expected_points double precision NOT NULL,
      p10 double precision NOT NULL,
      p50 double precision NOT NULL,
      p90 double precision NOT NULL CHECK (p10 <= p50 AND p50 <= p90),
      histogram jsonb NOT NULL CHECK (jsonb_typeof(histogram) = 'object'),
      model text NOT NULL CHECK (model <> ''),
      samples integer NOT NULL CHECK (samples > 0),
      computed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (season, round, entity, entity_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, 'DROP TABLE IF EXISTS championship_odds;');
}
