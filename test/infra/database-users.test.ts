import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDatabaseUsers } from './database-users.js';
import { asRecord, block, loadTerraformModule, type Block, type TerraformModule } from './hcl.js';
import { repoRoot } from './repo.js';

let module: TerraformModule;
beforeAll(async () => {
  module = await loadTerraformModule(path.join(repoRoot, 'terraform'));
});
const copy = () => structuredClone(module);

describe('terraform database users (issue 13: the functions cannot alter the tables)', () => {
  it('has a migration owner and an application user; every function and job connects as the latter with its own password', () => {
    expect(checkDatabaseUsers(module)).toEqual([]);
  });

  it('fails when the functions and jobs connect as the owner', () => {
    const m = copy();
    asRecord(m.locals.app_env).DB_USER = '${google_sql_user.owner.name}';
    const problems = checkDatabaseUsers(m);
    expect(problems).toContainEqual(expect.stringMatching(/^google_cloudfunctions2_function\.function\["api"\]: connects as the migration owner/));
    expect(problems).toContainEqual(expect.stringMatching(/^google_cloud_run_v2_job\.job\["train"\]: connects as the migration owner/));
  });

  it("fails when a function or job is given the owner's password, or may read it", () => {
    const m = copy();
    const service = block(m.resources.google_cloudfunctions2_function!.function!, 'service_config')!;
    (service.secret_environment_variables as Block[])[0]!.secret = '${google_secret_manager_secret.db_password["owner"].secret_id}';
    m.resources.google_secret_manager_secret_iam_member!.app_db_password!.secret_id = '${google_secret_manager_secret.db_password["owner"].id}';
    const problems = checkDatabaseUsers(m);
    expect(problems).toContainEqual(expect.stringMatching(/function\["predict"\]: DB_PASSWORD \(google_secret_manager_secret\.db_password\["owner"\]\) is not google_sql_user\.application's password/));
    expect(problems).toContainEqual(expect.stringMatching(/app_db_password lets .* read the migration owner's password/));
  });

  it("fails when a function or job is handed the migration owner's connection settings", () => {
    const m = copy();
    asRecord(m.locals.job_env).DB_MIGRATION_USER = '${google_sql_user.owner.name}';
    asRecord(m.locals.app_env).MIGRATION_DATABASE_URL = 'postgres://pitwall@db/pitwall';
    const problems = checkDatabaseUsers(m);
    expect(problems).toContainEqual('google_cloud_run_v2_job.job["train"]: gets DB_MIGRATION_USER, the migration owner\'s connection');
    expect(problems).toContainEqual('google_cloudfunctions2_function.function["ingest"]: gets MIGRATION_DATABASE_URL, the migration owner\'s connection');
  });

  it('fails when there is no separate owner', () => {
    const m = copy();
    delete m.resources.google_sql_user!.owner;
    expect(checkDatabaseUsers(m)).toEqual([expect.stringContaining('expected one google_sql_user named ${var.db_migration_user}')]);
  });
});
