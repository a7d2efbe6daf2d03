import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Which snapshot counts, decided by the database rather than by every caller.
 *
 * - `model_versions.data_through`: the latest instant whose data a version has seen (the end
 *   of its last training season, or the start of the last race its pool learnt), derived by a
 *   trigger from what the version declares, so no caller can set it apart from them.
 * - `forecast_baselines`: versions that forecast without training data (the qualifying order).
 * - A snapshot is a `forecast` or a `retrospective`. A forecast must be frozen before its race
 *   starts, as of an instant no later than the start, by a registered model (or baseline) that
 *   has seen no data from that instant on; anything else can only be stored as retrospective,
 *   which is never official and never scored.
 * - `recorded_at` is when the row was really written (the database's clock, whatever the
 *   caller says); `created_at` is the clock the freeze ran on, which `clock` names: `wall`
 *   rows get the database's time, `simulated` ones (a season replay) keep the replayed time.
 * - `official`: the first forecast stored for a race and freeze policy. Exactly one per race
 *   and policy (a partial unique index); evaluations may only score an official snapshot.
 */
/** The snapshot admission function as this migration created it (018 extends it, and restores it on the way down). */
export const PREDICTIONS_ADMIT = `
    CREATE FUNCTION predictions_admit() RETURNS trigger LANGUAGE plpgsql AS $$
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
`;

export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE model_versions ADD COLUMN data_through timestamptz;

    CREATE FUNCTION model_versions_data_through() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.data_through := greatest(
        (make_date(NEW.data_to_season, 12, 31) + time '23:59:59') AT TIME ZONE 'UTC',
        (NEW.metrics #>> '{pool,learntThrough,raceStart}')::timestamptz);
      RETURN NEW;
    END $$;

    CREATE TRIGGER model_versions_data_through BEFORE INSERT OR UPDATE ON model_versions
      FOR EACH ROW EXECUTE FUNCTION model_versions_data_through();

    UPDATE model_versions SET data_through = NULL;
    ALTER TABLE model_versions ALTER COLUMN data_through SET NOT NULL;

    CREATE TABLE forecast_baselines (
      version text PRIMARY KEY CHECK (version <> ''),
      description text NOT NULL
    );
    INSERT INTO forecast_baselines (version, description) VALUES
      ('qualifying-order-v1', 'finishing order = qualifying order; reads only the qualifying classification');

    ALTER TABLE predictions
      ADD COLUMN kind text NOT NULL DEFAULT 'forecast' CHECK (kind IN ('forecast', 'retrospective')),
      ADD COLUMN clock text NOT NULL DEFAULT 'wall' CHECK (clock IN ('wall', 'simulated')),
      ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN official boolean NOT NULL DEFAULT false,
      ADD COLUMN policy_key text GENERATED ALWAYS AS (freeze_policy || coalesce(':' || freeze_minutes, '')) STORED,
      ADD CONSTRAINT predictions_official_forecast CHECK (NOT official OR kind = 'forecast');

    -- Snapshots stored before this migration: their real creation time is unknown, so it is
    -- their recorded clock time; those frozen after the start, or by a model that had seen
    -- data from their freeze instant on, become retrospective; the first remaining forecast of
    -- each race and policy is the official one, and only it keeps its evaluation.
    ALTER TABLE predictions DISABLE TRIGGER predictions_frozen;
    UPDATE predictions p SET recorded_at = p.created_at,
      kind = CASE WHEN p.created_at >= r.starts OR p.snapshot_at > r.starts
                    OR coalesce((SELECT m.data_through FROM model_versions m WHERE m.kind = 'race' AND m.version = p.model_version), '-infinity') >= p.snapshot_at
                  THEN 'retrospective' ELSE 'forecast' END
      FROM (SELECT id, (race_date + coalesce(race_time, time '00:00')) AT TIME ZONE 'UTC' AS starts FROM races) r
      WHERE r.id = p.race_id;
    UPDATE predictions p SET official = true
      WHERE p.kind = 'forecast' AND NOT EXISTS (
        SELECT 1 FROM predictions e
        WHERE e.race_id = p.race_id AND e.policy_key = p.policy_key AND e.kind = 'forecast'
          AND (e.created_at, e.id) < (p.created_at, p.id));
    ALTER TABLE predictions ENABLE TRIGGER predictions_frozen;
    DELETE FROM evaluations e USING predictions p WHERE p.id = e.prediction_id AND NOT p.official;

    ALTER TABLE predictions DROP CONSTRAINT predictions_one_per_race_model;
    CREATE UNIQUE INDEX predictions_one_per_race_model_policy ON predictions (race_id, model_version, policy_key, kind);
    CREATE UNIQUE INDEX predictions_one_official ON predictions (race_id, policy_key) WHERE official;

${PREDICTIONS_ADMIT}
    CREATE TRIGGER predictions_admit BEFORE INSERT ON predictions
      FOR EACH ROW EXECUTE FUNCTION predictions_admit();

    CREATE FUNCTION evaluations_official_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM predictions WHERE id = NEW.prediction_id AND official AND race_id = NEW.race_id) THEN
        RAISE EXCEPTION 'prediction % is not the official snapshot of race %: only official snapshots are scored', NEW.prediction_id, NEW.race_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER evaluations_official_only BEFORE INSERT OR UPDATE ON evaluations
      FOR EACH ROW EXECUTE FUNCTION evaluations_official_only();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP TRIGGER IF EXISTS evaluations_official_only ON evaluations;
    DROP FUNCTION IF EXISTS evaluations_official_only;
    DROP TRIGGER IF EXISTS predictions_admit ON predictions;
    DROP FUNCTION IF EXISTS predictions_admit;
    DROP INDEX IF EXISTS predictions_one_official;
    DROP INDEX IF EXISTS predictions_one_per_race_model_policy;
    ALTER TABLE predictions DISABLE TRIGGER predictions_frozen;
    ALTER TABLE prediction_entries DISABLE TRIGGER prediction_entries_frozen;
    DELETE FROM evaluations e USING predictions p WHERE p.id = e.prediction_id AND p.kind = 'retrospective';
    DELETE FROM prediction_entries pe USING predictions p WHERE p.id = pe.prediction_id AND p.kind = 'retrospective';
    DELETE FROM predictions WHERE kind = 'retrospective';
    ALTER TABLE predictions ENABLE TRIGGER predictions_frozen;
    ALTER TABLE prediction_entries ENABLE TRIGGER prediction_entries_frozen;
    ALTER TABLE predictions DROP CONSTRAINT IF EXISTS predictions_official_forecast,
      DROP COLUMN policy_key, DROP COLUMN official, DROP COLUMN recorded_at, DROP COLUMN clock, DROP COLUMN kind;
    ALTER TABLE predictions ADD CONSTRAINT predictions_one_per_race_model UNIQUE (race_id, model_version);
    DROP TABLE IF EXISTS forecast_baselines;
    DROP TRIGGER IF EXISTS model_versions_data_through ON model_versions;
    DROP FUNCTION IF EXISTS model_versions_data_through;
    ALTER TABLE model_versions DROP COLUMN data_through;
  `);
}
