import type { Knex } from 'knex';
import { runScript } from './sql.js';

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

    CREATE OR REPLACE FUNCTION predictions_admit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      starts timestamptz;
      through timestamptz;
    BEGIN
      NEW.recorded_at := now();
      IF NEW.clock = 'wall' THEN NEW.created_at := NEW.recorded_at; END IF;
      SELECT (race_date + coalesce(race_time, time '00:00')) AT TIME ZONE 'UTC' INTO starts FROM races WHERE id = NEW.race_id;
      IF NEW.snapshot_at > starts THEN
        RAISE EXCEPTION 'a snapshot of race % stands for %, after the race start %', NEW.race_id, NEW.snapshot_at, starts
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT data_through INTO through FROM model_versions WHERE kind = 'race' AND version = NEW.model_version;
      IF NOT FOUND THEN
        SELECT through_race_start INTO through FROM pre_weekend_learners WHERE version = NEW.model_version;
      END IF;
      IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM forecast_baselines WHERE version = NEW.model_version) THEN
          RAISE EXCEPTION 'model % is neither a registered race model nor a baseline', NEW.model_version
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        through := '-infinity';
      END IF;
      NEW.official := false;
      IF NEW.kind = 'forecast' THEN
        IF NEW.created_at >= starts THEN
          RAISE EXCEPTION 'race % started at %: a forecast frozen at % can only be stored as retrospective', NEW.race_id, starts, NEW.created_at
            USING ERRCODE = 'check_violation';
        END IF;
        IF through >= NEW.snapshot_at THEN
          RAISE EXCEPTION 'model % has seen data through %, not before the freeze instant % of race %: it can only make a retrospective forecast',
            NEW.model_version, through, NEW.snapshot_at, NEW.race_id
            USING ERRCODE = 'check_violation';
        END IF;
        -- Serialises concurrent first freezes of one race, so exactly one becomes official.
        PERFORM pg_advisory_xact_lock(hashtext('predictions_official'), NEW.race_id);
        NEW.official := NOT EXISTS (
          SELECT 1 FROM predictions
          WHERE race_id = NEW.race_id AND official AND policy_key = NEW.freeze_policy || coalesce(':' || NEW.freeze_minutes, ''));
      END IF;
      RETURN NEW;
    END $$;

  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE OR REPLACE FUNCTION predictions_admit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      starts timestamptz;
      through timestamptz;
    BEGIN
      NEW.recorded_at := now();
      IF NEW.clock = 'wall' THEN NEW.created_at := NEW.recorded_at; END IF;
      SELECT (race_date + coalesce(race_time, time '00:00')) AT TIME ZONE 'UTC' INTO starts FROM races WHERE id = NEW.race_id;
      IF NEW.snapshot_at > starts THEN
        RAISE EXCEPTION 'a snapshot of race % stands for %, after the race start %', NEW.race_id, NEW.snapshot_at, starts
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT data_through INTO through FROM model_versions WHERE kind = 'race' AND version = NEW.model_version;
      IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM forecast_baselines WHERE version = NEW.model_version) THEN
          RAISE EXCEPTION 'model % is neither a registered race model nor a baseline', NEW.model_version
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        through := '-infinity';
      END IF;
      NEW.official := false;
      IF NEW.kind = 'forecast' THEN
        IF NEW.created_at >= starts THEN
          RAISE EXCEPTION 'race % started at %: a forecast frozen at % can only be stored as retrospective', NEW.race_id, starts, NEW.created_at
            USING ERRCODE = 'check_violation';
        END IF;
        IF through >= NEW.snapshot_at THEN
          RAISE EXCEPTION 'model % has seen data through %, not before the freeze instant % of race %: it can only make a retrospective forecast',
            NEW.model_version, through, NEW.snapshot_at, NEW.race_id
            USING ERRCODE = 'check_violation';
        END IF;
        -- Serialises concurrent first freezes of one race, so exactly one becomes official.
        PERFORM pg_advisory_xact_lock(hashtext('predictions_official'), NEW.race_id);
        NEW.official := NOT EXISTS (
          SELECT 1 FROM predictions
          WHERE race_id = NEW.race_id AND official AND policy_key = NEW.freeze_policy || coalesce(':' || NEW.freeze_minutes, ''));
      END IF;
      RETURN NEW;
    END $$;

    DROP TABLE IF EXISTS pre_weekend_learners;
    DELETE FROM predictions WHERE freeze_policy = 'pre_weekend';
    ALTER TABLE predictions DROP CONSTRAINT predictions_freeze_policy_check;
    ALTER TABLE predictions ADD CONSTRAINT predictions_freeze_policy_check CHECK (freeze_policy IN ('post_qualifying', 't_minus'));
  `);
}
