import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionManifest, type FunctionSpec } from '../../shared/app/manifest.js';
import { recurringJobs } from '../../shared/scheduler/recurring.js';
import { configSchema, productionEnvByFunction, productionEnvSchema } from '../../shared/config/config.js';
import {
  checkFunctionAccess,
  checkFunctionEnvironment,
  checkFunctions,
  checkFunctionServices,
  checkFunctionSizing,
  checkPublicAccess,
  checkReferences,
  checkSchedulerAuth,
  checkSchedulerJobs,
  checkTfvars,
  checkTrainingJob,
  checkVariables,
  functionInstances,
  MANIFEST_FROM_TERRAFORM,
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
const manifest = functionManifest;
/** The manifest as terraform/main.tf reads it, in a copy of the module. */
const manifestOf = (m: TerraformModule) => (m.files[MANIFEST_FROM_TERRAFORM] as { functions: FunctionSpec[] }).functions;
const sizing = (m: TerraformModule) => asRecord(m.locals.function_sizing) as Record<string, Block>;
/** A manifest entry that functions/ and Terraform know nothing of. */
const leaderboard: FunctionSpec = { name: 'leaderboard', entryPoint: 'api', mount: '/leaderboard', access: 'read', description: 'Standings.', scheduledBy: [] };

describe('terraform reads the function manifest', () => {
  it('reads shared/app/function-manifest.json, the file the code imports', () => {
    expect(manifestOf(module)).toEqual(manifest);
    expect(functionInstances(module).map((i) => i.name).sort()).toEqual(manifest.map((f) => f.name).sort());
  });

  it('sizes every manifest function and nothing else', () => {
    expect(checkFunctionSizing(module, manifest)).toEqual([]);
  });

  it('fails when a manifest function has no sizing, or a sizing names no manifest function', () => {
    const m = copy();
    delete sizing(m).pits;
    sizing(m).leaderboard = { ...sizing(m).api };
    expect(introduced(checkFunctionSizing(m, manifest), checkFunctionSizing(module, manifest))).toEqual([
      expect.stringContaining('declares "pits", which local.function_sizing does not size'),
      expect.stringContaining('sizes "leaderboard", which shared/app/function-manifest.json does not declare'),
    ]);
  });
});

describe('the manifest, functions/ and terraform name the same functions', () => {
  it('finds the function directories and a deployed function for each', () => {
    expect(facts.functions.length).toBeGreaterThan(0);
    expect(functionInstances(module).length).toBeGreaterThanOrEqual(facts.functions.length);
  });

  it('has a functions/<name> registering its entry point and a function deploying it on nodejs22 for each manifest function, and nothing more', () => {
    expect(checkFunctions(module, facts, manifest)).toEqual([]);
  });

  it('fails when a function directory is added without a manifest entry', () => {
    const grown: RepoFacts = { ...facts, functions: [...facts.functions, { dir: 'leaderboard', targets: ['leaderboard'] }], registryImports: [...facts.registryImports, 'leaderboard'] };
    expect(introduced(checkFunctions(module, grown, manifest), checkFunctions(module, facts, manifest))).toEqual([
      'functions/leaderboard is not in shared/app/function-manifest.json, so nothing deploys or serves it',
    ]);
  });

  it('fails when terraform deploys a function the manifest does not declare', () => {
    const m = copy();
    const single: Block = { ...m.resources.google_cloudfunctions2_function!.function!, name: 'leaderboard' };
    delete single.for_each;
    m.resources.google_cloudfunctions2_function!.leaderboard = single;
    expect(introduced(checkFunctions(m, facts, manifest), checkFunctions(module, facts, manifest))).toEqual([
      'google_cloudfunctions2_function.leaderboard deploys "leaderboard", which shared/app/function-manifest.json does not declare',
    ]);
  });

  it('fails when a manifest function has no directory (terraform, reading the same file, deploys it)', () => {
    const m = copy();
    manifestOf(m).push(leaderboard);
    expect(introduced(checkFunctions(m, facts, [...manifest, leaderboard]), checkFunctions(module, facts, manifest))).toEqual([
      'shared/app/function-manifest.json declares "leaderboard", but there is no functions/leaderboard/index.ts',
    ]);
    expect(introduced(checkFunctionSizing(m, [...manifest, leaderboard]), checkFunctionSizing(module, manifest))).toEqual([
      expect.stringContaining('"leaderboard", which local.function_sizing does not size'),
    ]);
  });

  it('fails when terraform drops a manifest function', () => {
    const m = copy();
    m.resources.google_cloudfunctions2_function!.function!.for_each = '${{ for name, f in local.functions : name => f if f.access == "write" }}';
    const problems = introduced(checkFunctions(m, facts, manifest), checkFunctions(module, facts, manifest));
    expect(problems).toEqual(
      manifest.filter((f) => f.access === 'read').map((f) => `shared/app/function-manifest.json declares "${f.name}", and terraform/ has 0 google_cloudfunctions2_function named so (expected 1)`),
    );
  });

  it('fails on a manifest entry point its directory does not register, a hard-coded entry point or another runtime', () => {
    const [first] = manifest as [FunctionSpec];
    const renamed = manifest.map((f) => (f === first ? { ...f, entryPoint: 'somethingElse' as FunctionSpec['entryPoint'] } : f));
    expect(checkFunctions(module, facts, renamed)).toContainEqual(
      `functions/${first.name}/index.ts registers "${first.entryPoint}", but shared/app/function-manifest.json says its entryPoint is "somethingElse"`,
    );
    const m = copy();
    const build = (m.resources.google_cloudfunctions2_function!.function!.build_config as Block[])[0]!;
    build.entry_point = 'somethingElse';
    build.runtime = 'nodejs20';
    const problems = checkFunctions(m, facts, manifest);
    for (const f of manifest) {
      expect(problems).toContainEqual(`google_cloudfunctions2_function.function["${f.name}"]: entry_point somethingElse, but shared/app/function-manifest.json says "${f.entryPoint}"`);
      expect(problems).toContainEqual(expect.stringContaining(`function["${f.name}"]: runtime nodejs20`));
    }
  });

  it('fails when functions/index.ts does not import a function', () => {
    const dir = facts.functions[0]!.dir;
    const missing = { ...facts, registryImportsManifest: false, registryImports: facts.functions.map((f) => f.dir).filter((d) => d !== dir) };
    expect(introduced(checkFunctions(module, missing, manifest), checkFunctions(module, facts, manifest))).toEqual([expect.stringContaining(`does not import ./${dir}/index.js`)]);
  });

  it('names only manifest functions in the per-function production configuration', () => {
    expect(Object.keys(productionEnvByFunction).filter((n) => !manifest.some((f) => f.name === n))).toEqual([]);
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
    for (const name of Object.keys(productionEnvByFunction)) sizing(m)[name]!.env = {};
    const problems = checkFunctionEnvironment(m, productionEnvSchema, productionEnvByFunction);
    for (const name of Object.keys(productionEnvByFunction)) {
      expect(problems).toContainEqual(expect.stringContaining(`["${name}"]`));
    }
  });
});

describe('terraform access control', () => {
  it('lets no write function be invoked by allUsers, and read functions only behind var.public_read_api', () => {
    expect(checkPublicAccess(module, manifest)).toEqual([]);
  });

  it("takes each function's access from the manifest", () => {
    expect(checkFunctionAccess(module, manifest)).toEqual([]);
    const m = copy();
    m.locals.read_functions = '${{ for name, f in local.functions : name => f if f.name == "api" }}';
    expect(checkFunctionAccess(m, manifest)).toEqual([expect.stringMatching(/^local.read_functions is \[api\], but .*read functions are \[api, pits\]$/)]);
  });

  it('fails when a write function is marked read in the manifest (and so made public)', () => {
    const m = copy();
    manifestOf(m).find((f) => f.name === 'predict')!.access = 'read';
    expect(introduced(checkPublicAccess(m, manifest), checkPublicAccess(module, manifest))).toEqual([expect.stringContaining('makes the write function "predict" invocable by allUsers')]);
  });

  it('fails when a write function is granted to allUsers directly', () => {
    const m = copy();
    m.resources.google_cloud_run_service_iam_member!.oops = {
      location: '${var.region}',
      service: '${google_cloudfunctions2_function.function["ingest"].name}',
      role: 'roles/run.invoker',
      member: 'allUsers',
    };
    const problems = checkPublicAccess(m, manifest);
    expect(problems).toContainEqual(expect.stringContaining('makes the write function "ingest" invocable by allUsers'));
    expect(problems).toContainEqual(expect.stringContaining('oops makes ingest public without var.public_read_api'));
  });

  it('fails on a project-wide public grant and on a read function made public unconditionally', () => {
    const m = copy();
    m.resources.google_project_iam_member!.everyone = { role: 'roles/run.invoker', member: 'allAuthenticatedUsers' };
    m.resources.google_cloud_run_service_iam_member!.public_read!.for_each = '${local.read_functions}';
    const problems = checkPublicAccess(m, manifest);
    expect(problems).toContainEqual(expect.stringContaining('google_project_iam_member.everyone grants allAuthenticatedUsers'));
    expect(problems).toContainEqual(expect.stringContaining('public_read makes api, pits public without var.public_read_api'));
  });

  it('authenticates every Cloud Scheduler job', () => {
    expect(checkSchedulerAuth(module)).toEqual([]);
    const m = copy();
    const target = (m.resources.google_cloud_scheduler_job!.function_call!.http_target as Block[])[0]!;
    delete target.oidc_token;
    expect(checkSchedulerAuth(m)).toEqual([
      'google_cloud_scheduler_job.function_call["calendar_refresh"] calls ${google_cloudfunctions2_function.function["schedule"].service_config[0].uri} without a token',
      'google_cloud_scheduler_job.function_call["result_sync"] calls ${google_cloudfunctions2_function.function["sync-results"].service_config[0].uri}/latest without a token',
    ]);
  });
});

describe('terraform scheduler jobs and the manifest', () => {
  /** A recurring function call of terraform/scheduler.tf, as local.function_schedules declares it. */
  const schedule = (m: TerraformModule, job: string) => asRecord(asRecord(m.locals.function_schedules)[job]);
  const oidc = (m: TerraformModule) =>
    (((m.resources.google_cloud_scheduler_job!.function_call!.http_target as Block[])[0]!.oidc_token as Block[])[0]!);

  it("calls from each job a function whose scheduledBy names it, with the function's URL as OIDC audience", () => {
    expect(checkSchedulerJobs(module, manifest)).toEqual([]);
    const named = manifest.flatMap((f) => f.scheduledBy.filter((j) => !j.startsWith('per-race:')));
    expect(named.length).toBeGreaterThan(0);
  });

  it('fails when a job calls another function than the one whose scheduledBy names it', () => {
    const m = copy();
    schedule(m, 'calendar_refresh').function = 'predict';
    expect(introduced(checkSchedulerJobs(m, manifest), checkSchedulerJobs(module, manifest))).toEqual([
      'google_cloud_scheduler_job.function_call["calendar_refresh"] (pitwall-calendar-refresh) calls "predict", whose scheduledBy in shared/app/function-manifest.json does not name it',
      'shared/app/function-manifest.json: "schedule" is scheduledBy "pitwall-calendar-refresh", but that job calls "predict"',
    ]);
  });

  it('fails on an audience other than the called function URL', () => {
    const m = copy();
    oidc(m).audience = '${local.functions_base_url}/results';
    expect(introduced(checkSchedulerJobs(m, manifest), checkSchedulerJobs(module, manifest))).toEqual([
      expect.stringContaining('calls "schedule" with OIDC audience ${local.functions_base_url}/results; the function accepts ${local.functions_base_url}/schedule'),
      expect.stringContaining('calls "sync-results" with OIDC audience ${local.functions_base_url}/results; the function accepts ${local.functions_base_url}/sync-results'),
    ]);
  });

  it('fails when a job is renamed or added without the manifest, or the manifest names a job terraform lacks', () => {
    const m = copy();
    schedule(m, 'result_sync').name = 'pitwall-hourly-result-sync';
    expect(introduced(checkSchedulerJobs(m, manifest), checkSchedulerJobs(module, manifest))).toEqual([
      expect.stringContaining('(pitwall-hourly-result-sync) calls "sync-results", whose scheduledBy'),
      'shared/app/function-manifest.json: "sync-results" is scheduledBy "pitwall-daily-result-sync", which no google_cloud_scheduler_job of terraform/ is',
    ]);
  });
});

describe("the replay's copy of the recurring jobs", () => {
  it('has the schedules, paths, functions and retries terraform/scheduler.tf gives them', () => {
    const base = 'https://functions.invalid';
    const schedules = asRecord(module.locals.function_schedules);
    const replayed = new Map(recurringJobs(base).map((j) => [j.id, j]));
    expect(replayed.size).toBe(Object.keys(schedules).length);
    for (const value of Object.values(schedules)) {
      const tf = asRecord(value);
      const job = replayed.get(String(tf.name));
      expect(job, String(tf.name)).toBeDefined();
      // The schedule is a variable: its default is what a deployment without tfvars runs.
      const variable = /^\$\{var\.(\w+)\}$/.exec(String(tf.schedule))?.[1];
      expect(job!.schedule).toBe(variable ? module.variables[variable]!.default : tf.schedule);
      expect(job!.uri).toBe(`${base}/${String(tf.function)}${String(tf.path)}`);
      const retry = asRecord(tf.retry);
      expect(job!.retry.retryCount).toBe(retry.retry_count);
      expect(`${job!.retry.minBackoffSeconds}s`).toBe(retry.min_backoff_duration);
      expect(`${job!.retry.maxBackoffSeconds}s`).toBe(retry.max_backoff_duration);
      expect(job!.retry.maxDoublings).toBe(retry.max_doublings ?? 5);
      expect(`${job!.attemptDeadlineSeconds}s`).toBe(tf.attempt_deadline);
    }
  });
});

describe('terraform training job', () => {
  it('runs a command the CLI has, through the package bin, as the Dockerfile does', () => {
    expect(facts.dockerEntrypoint).toBeDefined();
    expect(checkTrainingJob(module, facts, productionEnvSchema)).toEqual([]);
  });

  it('fails when the command is renamed', () => {
    const m = copy();
    asRecord(asRecord(m.locals.cloud_run_jobs).train).args = ['trian'];
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
