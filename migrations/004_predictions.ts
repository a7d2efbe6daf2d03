import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * The prediction lifecycle: frozen forecasts and their scores.
 *
 * - One frozen prediction per race and model version (a constraint, so concurrent
 *   freezes cannot both win; the loser's INSERT ... ON CONFLICT DO NOTHING reads the
 *   winner's row).
 * - A frozen snapshot and its entries can never be changed or deleted: triggers refuse
 *   it, whoever asks. The one exception is the optional per-driver strategy forecast,
 *   which may be filled once (NULL → value) by the pit-stop model.
 * - Evaluations: one row per race and prediction, upserted on re-evaluation.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE predictions (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      model_version text NOT NULL CHECK (model_version <> ''),
      created_at timestamptz NOT NULL DEFAULT now(),
      freeze_policy text NOT NULL CHECK (freeze_policy IN ('post_qualifying', 't_minus')),
      freeze_minutes integer CHECK (freeze_minutes > 0),
      snapshot_at timestamptz NOT NULL,
      session_type text NOT NULL,
      inputs_hash text NOT NULL CHECK (inputs_hash ~ '^[0-9a-f]{64}$'),
      confidence double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
      feature_coverage double precision NOT NULL CHECK (feature_coverage BETWEEN 0 AND 1),
      imputed_count integer NOT NULL CHECK (imputed_count >= 0),
      status text NOT NULL DEFAULT 'frozen' CHECK (status IN ('frozen')),
      warnings jsonb NOT NULL DEFAULT '[]',
      CONSTRAINT predictions_one_per_race_model UNIQUE (race_id, model_version)
    );
    CREATE INDEX predictions_race_idx ON predictions (race_id, created_at DESC);

    CREATE TABLE prediction_entries (
      prediction_id integer NOT NULL REFERENCES predictions (id),
      driver_id integer NOT NULL REFERENCES drivers (id),
      constructor_id integer NOT NULL REFERENCES constructors (id),
      predicted_position integer NOT NULL CHECK (predicted_position >= 1),
      expected_position double precision NOT NULL CHECK (expected_position >= 1),
      gap_seconds double precision NOT NULL CHECK (gap_seconds >= 0),
      gap_low_seconds double precision NOT NULL CHECK (gap_low_seconds >= 0),
      gap_high_seconds double precision NOT NULL CHECK (gap_high_seconds >= gap_low_seconds),
      gap_flagged boolean NOT NULL DEFAULT false,
      p_win double precision NOT NULL CHECK (p_win BETWEEN 0 AND 1),
      p_podium double precision NOT NULL CHECK (p_podium BETWEEN 0 AND 1),
      p_points double precision NOT NULL CHECK (p_points BETWEEN 0 AND 1),
      p_dnf double precision NOT NULL CHECK (p_dnf BETWEEN 0 AND 1),
      feature_coverage double precision NOT NULL CHECK (feature_coverage BETWEEN 0 AND 1),
      imputed_count integer NOT NULL CHECK (imputed_count >= 0),
      -- Optional strategy forecast (stops, first pit window), filled by the pit-stop model.
      strategy jsonb,
      PRIMARY KEY (prediction_id, driver_id),
      UNIQUE (prediction_id, predicted_position)
    );

    CREATE FUNCTION predictions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'frozen' THEN
        RAISE EXCEPTION 'prediction % is frozen and cannot be %', OLD.id, lower(TG_OP)
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER predictions_frozen BEFORE UPDATE OR DELETE ON predictions
      FOR EACH ROW EXECUTE FUNCTION predictions_immutable();

    CREATE FUNCTION prediction_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.strategy IS NULL
         AND (to_jsonb(NEW) - 'strategy') = (to_jsonb(OLD) - 'strategy') THEN
        RETURN NEW;
      END IF;
      IF EXISTS (SELECT 1 FROM predictions p WHERE p.id = OLD.prediction_id AND p.status = 'frozen') THEN
        RAISE EXCEPTION 'entries of frozen prediction % cannot be %', OLD.prediction_id, lower(TG_OP)
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER prediction_entries_frozen BEFORE UPDATE OR DELETE ON prediction_entries
      FOR EACH ROW EXECUTE FUNCTION prediction_entries_immutable();

    CREATE TABLE evaluations (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      prediction_id integer NOT NULL REFERENCES predictions (id),
      evaluated_at timestamptz NOT NULL DEFAULT now(),
      starters integer NOT NULL CHECK (starters >= 0),
      position_mae double precision,
      time_mae_seconds double precision,
      winner_correct boolean NOT NULL,
      podium_accuracy double precision,
      top10_accuracy double precision,
      spearman double precision,
      brier jsonb NOT NULL,
      log_loss jsonb NOT NULL,
      calibration_error jsonb NOT NULL,
      interval_coverage double precision,
      -- The same scores for the grid-order baseline of this race.
      baseline jsonb NOT NULL,
      CONSTRAINT evaluations_one_per_prediction UNIQUE (race_id, prediction_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP TABLE IF EXISTS evaluations, prediction_entries, predictions CASCADE;
    DROP FUNCTION IF EXISTS predictions_immutable, prediction_entries_immutable;
  `);
}
