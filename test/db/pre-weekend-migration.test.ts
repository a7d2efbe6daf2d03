import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../shared/db/migrate.js';
import * as m018 from '../../migrations/018_pre_weekend.js';
import { backends } from '../helpers/databases.js';

const postgres = backends.find((b) => b.name === 'postgres')!;

/** Migration 018 replaces 006's admission function: down restores 006's exactly, and up again reapplies. */
describe.skipIf(postgres.skip)('migration 018 (pre-weekend) up and down on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  const admission = async () => (await db.knex.raw<{ rows: { src: string }[] }>("SELECT prosrc AS src FROM pg_proc WHERE proname = 'predictions_admit'")).rows[0]!.src;
  const policyCheck = async () => (await db.knex.raw<{ rows: { def: string }[] }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'predictions_freeze_policy_check'")).rows[0]!.def;
  const hasTable = () => db.knex.schema.hasTable('pre_weekend_learners');
  beforeAll(async () => {
    db = await postgres.open();
    await migrateLatest(db.knex);
  }, 120_000);
  afterAll(async () => db?.close());

  it("finds a learner's version on the way up, and restores 006's admission on the way down", async () => {
    expect(await hasTable()).toBe(true);
    expect(await admission()).toContain('FROM pre_weekend_learners');
    expect(await policyCheck()).toContain('pre_weekend');
    await m018.down(db.knex);
    expect(await hasTable()).toBe(false);
    expect(await admission()).not.toContain('pre_weekend_learners');
    expect(await policyCheck()).not.toContain('pre_weekend');
    await m018.up(db.knex);
    expect(await hasTable()).toBe(true);
    expect(await admission()).toContain('FROM pre_weekend_learners');
  });
});
