import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema, productionEnvByFunction, productionEnvSchema } from '../../shared/config/config.js';
import {
  checkFunctionEnvironment,
  checkFunctions,
  checkFunctionServices,
  checkPublicAccess,
  checkReferences,
  checkSchedulerAuth,
  checkTfvars,
  checkTrainingJob,
  checkVariables,
  functionInstances,
  READ_ONLY_FUNCTIONS,
} from './checks.js';
import { asRecord, loadTerraformModule, parseHcl, type Block, type TerraformModule } from './hcl.js';
import { readRepoFacts, repoRoot, type RepoFacts } from './repo.js';

const terraformDir = path.join(repoRoot, 'terraform');

let module: TerraformModule;
let facts: RepoFacts;
beforeAll(async () => {
  module = await loadTerraformModule(terraformDir);
  facts = readRepoFacts();
});

/** A deep copy to break on purpose. */
const copy = () => structuredClone(module);
/** The problems a change introduces, whatever the state of the rest of the tree. */
const introduced = (after: string[], before: string[]) => after.filter((p) => !before.includes(p));
const functionsLocal = (m: TerraformModule) => asRecord(m.locals.functions) as Record<string, Block>;

describe('terraform functions match functions/', () => {
  it('finds the function directories and a deployed function for each', () => {
    expect(facts.functions.length).toBeGreaterThan(0);
    expect(functionInstances(module).length).toBeGreaterThanOrEqual(facts.functions.length);
  });

  it('deploys every function directory with its registered target and nodejs22, and nothing more', () => {
    expect(checkFunctions(module, facts)).toEqual([]);
  });

  it('fails when a function directory is added without a resource', () => {
    const grown: RepoFacts = { ...facts, functions: [...facts.functions, { dir: 'leaderboard', targets: ['leaderboard'] }], registryImports: [...facts.registryImports, 'leaderboard'] };
    expect(introduced(checkFunctions(module, grown), checkFunctions(module, facts))).toEqual([expect.stringContaining('functions/leaderboard has 0')]);
  });

  it('fails when a resource has no function directory', () => {
    const m = copy();
    functionsLocal(m).leaderboard = { ...functionsLocal(m).api, entry_point: 'leaderboard' };
    expect(introduced(checkFunctions(m, facts), checkFunctions(module, facts))).toEqual([expect.stringContaining('deploys "leaderboard", which has no functions/')]);
  });

  it('fails on a wrong entry point or runtime', () => {
    const dir = facts.functions[0]!.dir;
    const m = copy();
    functionsLocal(m)[dir]!.entry_point = 'somethingElse';
    (m.resources.google_cloudfunctions2_function!.function!.build_config as Block[])[0]!.runtime = 'nodejs20';
    const problems = checkFunctions(m, facts);
    expect(problems).toContainEqual(expect.stringContaining(`entry_point somethingElse but functions/${dir}`));
    expect(problems).toContainEqual(expect.stringContaining('runtime nodejs20'));
  });

  it('fails when functions/index.ts does not import a function', () => {
    const dir = facts.functions[0]!.dir;
    const missing = { ...facts, registryImports: facts.registryImports.filter((d) => d !== dir) };
    expect(introduced(checkFunctions(module, missing), checkFunctions(module, facts))).toEqual([expect.stringContaining(`does not import ./${dir}/index.js`)]);
  });
});

describe('terraform function services', () => {
  it('runs each function as its own service account, with min and max instances', () => {
    expect(checkFunctionServices(module)).toEqual([]);
  });

  it('fails on a shared service account, missing scaling bounds or a plain-text password', () => {
    const m = copy();
    const fn = m.resources.google_cloudfunctions2_function!.function!;
    const service = (fn.service_config as Block[])[0]!;
    service.service_account_email = '${google_service_account.shared.email}';
    delete service.max_instance_count;
    asRecord(m.locals.app_env).DB_PASSWORD = 'hunter2';
    const problems = checkFunctionServices(m);
    for (const instance of functionInstances(module)) {
      expect(problems).toContainEqual(`${instance.address}: shares its service account \${google_service_account.shared.email}`);
      expect(problems).toContainEqual(`${instance.address}: no min_instance_count and max_instance_count`);
      expect(problems).toContainEqual(expect.stringContaining(`${instance.address}: DB_PASSWORD in plain environment_variables`));
    }
  });
});

describe('terraform gives every function its production configuration', () => {
  it('names only variables the config schema knows', () => {
    const known = Object.keys(configSchema.shape);
    expect(Object.keys(productionEnvSchema.shape).filter((k) => !known.includes(k))).toEqual([]);
    for (const schema of Object.values(productionEnvByFunction)) {
      expect(Object.keys(asRecord((schema as unknown as { shape: unknown }).shape)).filter((k) => !known.includes(k))).toEqual([]);
    }
  });

  it('sets every required variable on every function', () => {
    expect(checkFunctionEnvironment(module, productionEnvSchema, productionEnvByFunction)).toEqual([]);
  });

  it('fails when a required variable is dropped or wrong', () => {
    const m = copy();
    const env = asRecord(m.locals.app_env);
    delete env.CLOUD_SQL_INSTANCE;
    env.PITWALL_ENV = 'local';
    env.ARTIFACT_STORE_URI = 'data/artifacts';
    const problems = checkFunctionEnvironment(m, productionEnvSchema, productionEnvByFunction);
    for (const fn of functionInstances(module)) {
      expect(problems).toContainEqual(expect.stringContaining(`${fn.address}: CLOUD_SQL_INSTANCE`));
      expect(problems).toContainEqual(expect.stringContaining(`${fn.address}: PITWALL_ENV`));
      expect(problems).toContainEqual(expect.stringContaining(`${fn.address}: ARTIFACT_STORE_URI`));
    }
  });

  it('fails when the database password secret is removed', () => {
    const m = copy();
    const service = (m.resources.google_cloudfunctions2_function!.function!.service_config as Block[])[0]!;
    delete service.secret_environment_variables;
    expect(checkFunctionEnvironment(m, productionEnvSchema, productionEnvByFunction)).toContainEqual(
      expect.stringContaining('DB_PASSWORD: DB_PASSWORD is required unless DB_IAM_AUTH=true'),
    );
  });

  it('fails when a function misses its own variables', () => {
    const m = copy();
    for (const name of Object.keys(productionEnvByFunction)) {
      if (functionsLocal(m)[name]) functionsLocal(m)[name]!.env = {};
    }
    const problems = checkFunctionEnvironment(m, productionEnvSchema, productionEnvByFunction);
    for (const name of Object.keys(productionEnvByFunction).filter((n) => functionsLocal(module)[n])) {
      expect(problems).toContainEqual(expect.stringContaining(`["${name}"]`));
    }
  });
});

describe('terraform access control', () => {
  it('lets no write function be invoked by allUsers, and read functions only behind var.public_read_api', () => {
    expect(checkPublicAccess(module)).toEqual([]);
  });

  it('classifies exactly the read-only functions as read', () => {
    const read = Object.entries(functionsLocal(module))
      .filter(([, f]) => f.access === 'read')
      .map(([name]) => name);
    expect(read.filter((n) => !READ_ONLY_FUNCTIONS.includes(n))).toEqual([]);
  });

  it('fails when a write function is marked read (and so made public)', () => {
    const m = copy();
    functionsLocal(m).predict!.access = 'read';
    expect(introduced(checkPublicAccess(m), checkPublicAccess(module))).toEqual([expect.stringContaining('makes the write function "predict" invocable by allUsers')]);
  });

  it('fails when a write function is granted to allUsers directly', () => {
    const m = copy();
    m.resources.google_cloud_run_service_iam_member!.oops = {
      location: '${var.region}',
      service: '${google_cloudfunctions2_function.function["ingest"].name}',
      role: 'roles/run.invoker',
      member: 'allUsers',
    };
    const problems = checkPublicAccess(m);
    expect(problems).toContainEqual(expect.stringContaining('makes the write function "ingest" invocable by allUsers'));
    expect(problems).toContainEqual(expect.stringContaining('oops makes ingest public without var.public_read_api'));
  });

  it('fails on a project-wide public grant and on a read function made public unconditionally', () => {
    const m = copy();
    m.resources.google_project_iam_member!.everyone = { role: 'roles/run.invoker', member: 'allAuthenticatedUsers' };
    m.resources.google_cloud_run_service_iam_member!.public_read!.for_each = '${local.read_functions}';
    const problems = checkPublicAccess(m);
    expect(problems).toContainEqual(expect.stringContaining('google_project_iam_member.everyone grants allAuthenticatedUsers'));
    expect(problems).toContainEqual(expect.stringContaining('public_read makes api, pits public without var.public_read_api'));
  });

  it('authenticates every Cloud Scheduler job', () => {
    expect(checkSchedulerAuth(module)).toEqual([]);
    const m = copy();
    const target = (Object.values(m.resources.google_cloud_scheduler_job!)[0]!.http_target as Block[])[0]!;
    delete target.oidc_token;
    delete target.oauth_token;
    expect(checkSchedulerAuth(m)).toHaveLength(1);
  });
});

describe('terraform training job', () => {
  it('runs a command the CLI has, through the package bin, as the Dockerfile does', () => {
    expect(facts.dockerEntrypoint).toBeDefined();
    expect(checkTrainingJob(module, facts, productionEnvSchema)).toEqual([]);
  });

  it('fails when the command is renamed', () => {
    const m = copy();
    const container = () =>
      ((((m.resources.google_cloud_run_v2_job!.train!.template as Block[])[0]!.template as Block[])[0]!.containers as Block[])[0]!);
    container().args = ['trian'];
    expect(introduced(checkTrainingJob(m, facts, productionEnvSchema), checkTrainingJob(module, facts, productionEnvSchema))).toEqual([expect.stringContaining('args ["trian"] name no command')]);
    const renamed = { ...facts, cliCommands: facts.cliCommands.filter((c) => c !== 'train') };
    expect(checkTrainingJob(module, renamed, productionEnvSchema)).toContainEqual(expect.stringContaining('name no command'));
  });
});

describe('terraform references', () => {
  it('names only declared variables, locals, resources and data sources', () => {
    expect(checkReferences(module)).toEqual([]);
  });

  it('fails on a typo in any of them', () => {
    const m = copy();
    asRecord(m.locals.app_env).GCP_REGION = '${var.regoin}';
    asRecord(m.locals.app_env).DB_NAME = '${google_sql_database.ap.name}';
    m.outputs.api_url!.value = '${local.read_functionz}';
    expect(checkReferences(m).sort()).toEqual([
      'undeclared local.read_functionz',
      'undeclared resource google_sql_database.ap',
      'undeclared variable var.regoin',
    ]);
  });
});

describe('terraform variables and environments', () => {
  it('types and describes every variable and describes every output', () => {
    expect(Object.keys(module.variables).length).toBeGreaterThan(10);
    expect(checkVariables(module)).toEqual([]);
    const m = copy();
    delete m.variables.region!.description;
    delete m.variables.region!.type;
    expect(checkVariables(m)).toEqual(['variable "region" has no type', 'variable "region" has no description']);
  });

  it('pins the google provider and terraform versions', async () => {
    const versions = await parseHcl('versions.tf', fs.readFileSync(path.join(terraformDir, 'versions.tf'), 'utf8'));
    const tf = (versions.terraform as Block[])[0]!;
    expect(tf.required_version).toMatch(/</);
    const google = asRecord((tf.required_providers as Block[])[0]!.google);
    expect(google.source).toBe('hashicorp/google');
    expect(google.version).toMatch(/^(~>|>=\s*[\d.]+,\s*<)/);
  });

  it('has dev and prod tfvars that set only declared variables', async () => {
    const envDir = path.join(terraformDir, 'environments');
    const files = fs.readdirSync(envDir).filter((f) => f.endsWith('.tfvars'));
    expect(files).toEqual(expect.arrayContaining(['dev.tfvars', 'prod.tfvars']));
    for (const file of files) {
      const values = await parseHcl(file, fs.readFileSync(path.join(envDir, file), 'utf8'));
      expect(checkTfvars(file, values, module)).toEqual([]);
    }
    expect(checkTfvars('x.tfvars', { regoin: 'x', function_invokers: ['allUsers'] }, module)).toHaveLength(2);
  });
});
