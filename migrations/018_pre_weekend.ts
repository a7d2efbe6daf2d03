import type { Knex } from 'knex';
import { runScript } from './sql.js';
import { PREDICTIONS_ADMIT } from './006_snapshot_integrity.js';

const orReplace = (fn: string) => fn.replace('CREATE FUNCTION predictions_admit()', 'CREATE OR REPLACE FUNCTION predictions_admit()');

/** 006's admission, also finding a pre-weekend learner's version (and the start of the last race it learnt). */
const MODEL_LOOKUP = "SELECT data_through INTO through FROM model_versions WHERE kind = 'race' AND version = NEW.model_version;";
if (!PREDICTIONS_ADMIT.includes(MODEL_LOOKUP)) throw new Error('migration 018 extends the admission function 006 created, which no longer looks a model up as it expects');
const admitPreWeekend = orReplace(PREDICTIONS_ADMIT).replace(
  MODEL_LOOKUP,
  `${MODEL_LOOKUP}
      IF NOT FOUND THEN
        SELECT through_race_start INTO through FROM pre_weekend_learners WHERE version = NEW.model_version;
      END IF;`,
);

/**
 * The pre-weekend forecast (issue 17):
 *
 * - `predictions.freeze_policy` admits 'pre_weekend' (freeze_minutes = the minutes before first
 *   practice, so policy_key is 'pre_weekend:1440' for a day before).
 * - `pre_weekend_learners`: the pre-weekend model's learner after each race it learnt
 *   (shared/models/pre-weekend), one row per version; `through_race_start` is the start of the
 *   latest race it learnt ('-infinity' for a learner that has learnt none).
 * - predictions_admit (006) also finds a pre-weekend version there: a learner that has learnt a
 *   race starting at or after the freeze instant can only make a retrospective snapshot, as a
 *   race model whose data reaches the freeze.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE predictions DROP CONSTRAINT predictions_freeze_policy_check;
    ALTER TABLE predictions ADD CONSTRAINT predictions_freeze_policy_check CHECK (freeze_policy IN ('post_qualifying', 't_minus', 'pre_weekend'));
    CREATE TABLE pre_weekend_learners (
      version text PRIMARY KEY CHECK (version <> ''),
      through_race_id integer REFERENCES races(id) ON DELETE CASCADE,
      through_race_start timestamptz NOT NULL,
      races integer NOT NULL CHECK (races >= 0),
      state jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX pre_weekend_learners_through_idx ON pre_weekend_learners (through_race_start DESC);

${admitPreWeekend}
  `);
}

export async function down(knex: Knex): Promise<void> {
  // Frozen snapshots are never deleted (004, 007): with pre-weekend ones stored there is no way down.
  await runScript(knex, `
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM predictions WHERE freeze_policy = 'pre_weekend') THEN
        RAISE EXCEPTION 'pre-weekend snapshots are frozen and cannot be removed: migration 018 cannot be undone on this database';
      END IF;
    END $$;
${orReplace(PREDICTIONS_ADMIT)}
    DROP TABLE IF EXISTS pre_weekend_learners;
    ALTER TABLE predictions DROP CONSTRAINT predictions_freeze_policy_check;
    ALTER TABLE predictions ADD CONSTRAINT predictions_freeze_policy_check CHECK (freeze_policy IN ('post_qualifying', 't_minus'));
  `);
}
