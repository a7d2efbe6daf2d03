import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Frozen means frozen, whatever the statement: 004's row triggers refused UPDATE and DELETE,
 * but an INSERT could still add entries to a stored snapshot (win probabilities summing past
 * 1), and TRUNCATE, which fires no row trigger, emptied the tables.
 *
 * - An entry may only be inserted by the transaction that inserted its prediction row: the
 *   row's xmin must be this transaction or one of its subtransactions (knex nests
 *   transactions as savepoints), which is what "in progress" means for a row this
 *   transaction can see. xmin cannot be forged, unlike a session setting.
 * - Entries are never updated or deleted. 004 let the strategy slot be filled once later;
 *   nothing does that (the freeze stores the strategy with the entries), so it is dropped.
 * - TRUNCATE of predictions or prediction_entries (so also TRUNCATE ... CASCADE from a
 *   referenced table) is refused by statement triggers.
 *
 * Only the owner can disable these triggers; the functions connect as an application role
 * that owns nothing (shared/db/app-role.ts), so for them the refusal is final.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE FUNCTION prediction_entries_admit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      row_xmin xid;
      top bigint;
      xmin_full bigint;
      xmin_status text;
    BEGIN
      SELECT p.xmin INTO row_xmin FROM predictions p WHERE p.id = NEW.prediction_id;
      -- No visible prediction: the foreign key refuses the row with its own message.
      IF NOT FOUND THEN RETURN NEW; END IF;
      top := pg_current_xact_id()::text::bigint;
      -- xmin is 32 bits; our own xids are within a few of the top-level one, so the nearest
      -- 64-bit xid with those low bits is the one.
      xmin_full := (top >> 32 << 32) + row_xmin::text::bigint;
      IF xmin_full - top > 2147483648 THEN xmin_full := xmin_full - 4294967296;
      ELSIF top - xmin_full > 2147483648 THEN xmin_full := xmin_full + 4294967296;
      END IF;
      IF xmin_full = top THEN RETURN NEW; END IF;
      -- Subtransactions get xids after their top-level transaction: anything older is not ours.
      IF xmin_full > top THEN
        BEGIN
          xmin_status := pg_xact_status(xmin_full::text::xid8);
        EXCEPTION WHEN invalid_parameter_value THEN
          xmin_status := NULL;
        END;
        IF xmin_status = 'in progress' THEN RETURN NEW; END IF;
      END IF;
      RAISE EXCEPTION 'prediction % is frozen: entries can only be added by the transaction that froze it', NEW.prediction_id
        USING ERRCODE = 'integrity_constraint_violation';
    END $$;

    CREATE TRIGGER prediction_entries_admit BEFORE INSERT ON prediction_entries
      FOR EACH ROW EXECUTE FUNCTION prediction_entries_admit();

    CREATE OR REPLACE FUNCTION prediction_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'entries of frozen prediction % cannot be %', OLD.prediction_id, lower(TG_OP)
        USING ERRCODE = 'integrity_constraint_violation';
    END $$;

    CREATE FUNCTION frozen_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% holds frozen snapshots and cannot be truncated', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END $$;

    CREATE TRIGGER predictions_no_truncate BEFORE TRUNCATE ON predictions
      FOR EACH STATEMENT EXECUTE FUNCTION frozen_no_truncate();
    CREATE TRIGGER prediction_entries_no_truncate BEFORE TRUNCATE ON prediction_entries
      FOR EACH STATEMENT EXECUTE FUNCTION frozen_no_truncate();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP TRIGGER IF EXISTS prediction_entries_no_truncate ON prediction_entries;
    DROP TRIGGER IF EXISTS predictions_no_truncate ON predictions;
    DROP FUNCTION IF EXISTS frozen_no_truncate;
    DROP TRIGGER IF EXISTS prediction_entries_admit ON prediction_entries;
    DROP FUNCTION IF EXISTS prediction_entries_admit;
    CREATE OR REPLACE FUNCTION prediction_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
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
  `);
}
