import type { z } from 'zod';
import {
  asArray,
  asRecord,
  block,
  Computed,
  evaluate,
  forEachKeys,
  interpolations,
  wholeExpression,
  type Block,
  type Scope,
  type TerraformModule,
} from './hcl.js';
import type { FunctionSpec } from '../../shared/app/manifest.js';
import type { JobSpec } from '../../shared/scheduler/port.js';
import type { RepoFacts } from './repo.js';

/**
 * Consistency checks between the Terraform in terraform/, the function manifest
 * (shared/app/function-manifest.json) and the code. Each returns the problems it finds (empty
 * when all is well), so a test can also prove that a check catches a broken copy of the
 * configuration or the manifest.
 */

const MANIFEST = 'shared/app/function-manifest.json';
/** Where terraform/main.tf reads the manifest from (module.files). */
export const MANIFEST_FROM_TERRAFORM = `../${MANIFEST}`;
export const FUNCTION_RUNTIME = 'nodejs22';
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const FUNCTION_TYPE = 'google_cloudfunctions2_function';

export interface FunctionInstance {
  /** resource address, e.g. google_cloudfunctions2_function.function["ingest"] */
  address: string;
  /** The service account, as written, with each.key filled in. */
  serviceAccount?: string;
  minInstances: unknown;
  maxInstances: unknown;
  name: unknown;
  entryPoint: unknown;
  runtime: unknown;
  env: Record<string, string>;
  secrets: string[];
}

/** Every deployed function, with for_each expanded. */
export function functionInstances(module: TerraformModule): FunctionInstance[] {
  const out: FunctionInstance[] = [];
  for (const [resourceName, body] of Object.entries(module.resources[FUNCTION_TYPE] ?? {})) {
    for (const { scope, address } of expand(module, FUNCTION_TYPE, resourceName, body)) {
      const build = block(body, 'build_config');
      const service = block(body, 'service_config');
      const account = service?.service_account_email;
      out.push({
        address,
        ...(typeof account === 'string' && scope.each ? { serviceAccount: account.replaceAll('each.key', `"${scope.each.key}"`) } : {}),
        ...(typeof account === 'string' && !scope.each ? { serviceAccount: account } : {}),
        minInstances: service?.min_instance_count,
        maxInstances: service?.max_instance_count,
        name: evaluate(body.name, scope),
        entryPoint: evaluate(build?.entry_point, scope),
        runtime: evaluate(build?.runtime, scope),
        env: stringRecord(evaluate(service?.environment_variables, scope), scope),
        secrets: [
          ...asArray(service?.secret_environment_variables).map((s) => String(evaluate(s.key, scope))),
          ...asArray(asRecord(service?.dynamic).secret_environment_variables).flatMap((d) =>
            asArray(d.content).map((c) => String(evaluate(c.key, scope))),
          ),
        ],
      });
    }
  }
  return out;
}

/** The instances of a resource: one, or one a for_each key, each with its scope and address. */
export function expand(module: TerraformModule, type: string, name: string, body: Block): { scope: Scope; address: string }[] {
  if (body.for_each === undefined) return [{ scope: { module }, address: `${type}.${name}` }];
  const collection = evaluate(body.for_each, { module });
  if (collection instanceof Computed) return [];
  return Object.entries(asRecord(collection)).map(([key, value]) => ({
    scope: { module, each: { key, value } },
    address: `${type}.${name}["${key}"]`,
  }));
}

/**
 * A template string with each.key and each.value.<attribute> filled in, where they are known:
 * `function[each.value.function]` becomes `function["schedule"]`, `${each.value.path}` its text.
 */
function withEach(value: unknown, scope: Scope): string {
  const text = String(value ?? '');
  if (!scope.each) return text;
  const known = (expr: string) => {
    const v = evaluate(`\${${expr}}`, scope);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  };
  return text
    .replace(/\[(each\.(?:key|value(?:\.[\w-]+)*))\]/g, (whole, expr: string) => (known(expr) === undefined ? whole : `["${known(expr)}"]`))
    .replace(/\$\{(each\.(?:key|value(?:\.[\w-]+)*))\}/g, (whole, expr: string) => known(expr) ?? whole);
}

function stringRecord(value: unknown, scope: Scope): Record<string, string> {
  if (value instanceof Computed) return {};
  return Object.fromEntries(
    Object.entries(asRecord(value)).map(([k, raw]) => {
      const v = evaluate(raw, scope);
      return [k, v instanceof Computed ? v.toString() : String(v)];
    }),
  );
}

/**
 * The manifest, functions/ and Terraform name the same functions, both ways: every manifest
 * function has a functions/<name>/index.ts registering its entryPoint and one Terraform function
 * deploying it with that entry point on nodejs22; every functions/<dir> and every Terraform
 * function is in the manifest.
 */
export function checkFunctions(module: TerraformModule, facts: RepoFacts, manifest: readonly FunctionSpec[]): string[] {
  const problems: string[] = [];
  const instances = functionInstances(module);
  for (const body of Object.values(module.resources[FUNCTION_TYPE] ?? {})) {
    if (body.for_each !== undefined && evaluate(body.for_each, { module }) instanceof Computed) {
      problems.push(`cannot expand the for_each of a ${FUNCTION_TYPE} (${String(body.for_each)})`);
    }
  }
  for (const spec of manifest) {
    const dir = facts.functions.find((f) => f.dir === spec.name);
    if (!dir) problems.push(`${MANIFEST} declares "${spec.name}", but there is no functions/${spec.name}/index.ts`);
    else if (dir.targets.length !== 1) {
      problems.push(`functions/${dir.dir}/index.ts registers ${dir.targets.length} targets; each function directory registers one`);
    } else if (dir.targets[0] !== spec.entryPoint) {
      problems.push(`functions/${dir.dir}/index.ts registers "${dir.targets[0]}", but ${MANIFEST} says its entryPoint is "${spec.entryPoint}"`);
    }
    if (dir && !facts.registryImportsManifest && !facts.registryImports.includes(spec.name)) {
      problems.push(`functions/index.ts (package main) does not import ./${spec.name}/index.js, so its target is never registered`);
    }
    const deployed = instances.filter((i) => i.name === spec.name);
    if (deployed.length !== 1) {
      problems.push(`${MANIFEST} declares "${spec.name}", and terraform/ has ${deployed.length} ${FUNCTION_TYPE} named so (expected 1)`);
      continue;
    }
    const [instance] = deployed as [FunctionInstance];
    if (instance.entryPoint !== spec.entryPoint) {
      problems.push(`${instance.address}: entry_point ${String(instance.entryPoint)}, but ${MANIFEST} says "${spec.entryPoint}"`);
    }
    if (instance.runtime !== FUNCTION_RUNTIME) {
      problems.push(`${instance.address}: runtime ${String(instance.runtime)}, expected ${FUNCTION_RUNTIME}`);
    }
  }
  const names = new Set(manifest.map((f) => f.name));
  for (const dir of facts.functions) {
    if (!names.has(dir.dir)) problems.push(`functions/${dir.dir} is not in ${MANIFEST}, so nothing deploys or serves it`);
  }
  for (const instance of instances) {
    if (typeof instance.name !== 'string' || !names.has(instance.name)) {
      problems.push(`${instance.address} deploys "${String(instance.name)}", which ${MANIFEST} does not declare`);
    }
  }
  if (facts.packageMain !== 'dist/functions/index.js') {
    problems.push(`package.json main is ${facts.packageMain}; the deployed functions load dist/functions/index.js`);
  }
  if (!facts.scripts['gcp-build']) problems.push('package.json has no gcp-build script: Cloud Functions would deploy without compiling');
  return problems;
}

/**
 * Terraform sizes exactly the manifest's functions (what the preconditions on
 * google_service_account.function enforce at plan time, checked here without a terraform binary).
 */
export function checkFunctionSizing(module: TerraformModule, manifest: readonly FunctionSpec[]): string[] {
  const sized = Object.keys(asRecord(evaluate(module.locals.function_sizing, { module })));
  const names = manifest.map((f) => f.name);
  return [
    ...names.filter((n) => !sized.includes(n)).map((n) => `${MANIFEST} declares "${n}", which local.function_sizing does not size`),
    ...sized.filter((n) => !names.includes(n)).map((n) => `local.function_sizing sizes "${n}", which ${MANIFEST} does not declare`),
  ];
}

/** Terraform's write and read functions are the manifest's (their access decides who may call them). */
export function checkFunctionAccess(module: TerraformModule, manifest: readonly FunctionSpec[]): string[] {
  const problems: string[] = [];
  for (const access of ['write', 'read'] as const) {
    const local = `${access}_functions`;
    const value = evaluate(module.locals[local], { module });
    if (value instanceof Computed) {
      problems.push(`cannot evaluate local.${local} (${value.expr})`);
      continue;
    }
    const actual = Object.keys(asRecord(value)).sort();
    const expected = manifest.filter((f) => f.access === access).map((f) => f.name).sort();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`local.${local} is [${actual.join(', ')}], but ${MANIFEST}'s ${access} functions are [${expected.join(', ')}]`);
    }
  }
  return problems;
}

/** Each function runs as its own service account, with scaling bounds, secrets kept secret. */
export function checkFunctionServices(module: TerraformModule): string[] {
  const problems: string[] = [];
  const instances = functionInstances(module);
  for (const instance of instances) {
    if (!instance.serviceAccount) problems.push(`${instance.address}: no service_account_email (it would run as the default compute account)`);
    else if (instances.some((other) => other !== instance && other.serviceAccount === instance.serviceAccount)) {
      problems.push(`${instance.address}: shares its service account ${instance.serviceAccount}`);
    }
    if (instance.minInstances === undefined || instance.maxInstances === undefined) {
      problems.push(`${instance.address}: no min_instance_count and max_instance_count`);
    }
    for (const key of ['DB_PASSWORD', 'API_KEY']) {
      if (key in instance.env) problems.push(`${instance.address}: ${key} in plain environment_variables; use secret_environment_variables`);
    }
  }
  return problems;
}

/** Every deployed function gets what the config schema requires in production. */
export function checkFunctionEnvironment(
  module: TerraformModule,
  base: z.ZodType,
  byFunction: Record<string, z.ZodType>,
): string[] {
  const problems: string[] = [];
  for (const instance of functionInstances(module)) {
    const env = { ...instance.env, ...Object.fromEntries(instance.secrets.map((k) => [k, '<secret>'])) };
    const schemas = [base, ...(typeof instance.name === 'string' && byFunction[instance.name] ? [byFunction[instance.name]!] : [])];
    for (const schema of schemas) problems.push(...zodProblems(instance.address, schema, env));
  }
  return problems;
}

function zodProblems(address: string, schema: z.ZodType, env: Record<string, string>): string[] {
  const parsed = schema.safeParse(env);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${address}: ${i.path.join('.')}: ${i.message}`);
}

/**
 * No write function is invocable by allUsers/allAuthenticatedUsers; read functions may be,
 * only behind var.public_read_api. A grant whose target cannot be told counts as a problem.
 */
export function checkPublicAccess(module: TerraformModule, manifest: readonly FunctionSpec[]): string[] {
  const readOnly = manifest.filter((f) => f.access === 'read').map((f) => f.name);
  const problems: string[] = [];
  for (const [type, byName] of Object.entries(module.resources)) {
    if (!/_iam_(member|binding|policy)$/.test(type)) continue;
    for (const [name, body] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      const members = [body.member, ...asArray(body.members), body.policy_data].map((m) => String(m ?? ''));
      const publicMembers = PUBLIC_MEMBERS.filter((p) => members.some((m) => m === p || m.includes(`"${p}"`)));
      if (publicMembers.length === 0) continue;
      const targets = grantTargets(module, body);
      if (!targets) {
        problems.push(`${address} grants ${publicMembers.join(', ')} on something other than a read-only function`);
        continue;
      }
      for (const target of targets) {
        if (!readOnly.includes(target)) problems.push(`${address} makes the write function "${target}" invocable by ${publicMembers.join(', ')}`);
      }
      const gate = forEachKeys(body.for_each, { module }).condition ?? conditionOf(body.count);
      if (!gate?.includes('var.public_read_api')) {
        problems.push(`${address} makes ${targets.join(', ')} public without var.public_read_api`);
      }
    }
  }
  return problems;
}

/** The functions an IAM grant applies to, or undefined when it is not (only) functions. */
function grantTargets(module: TerraformModule, body: Block): string[] | undefined {
  const ref = [body.service, body.name, body.cloud_function]
    .map((v) => (typeof v === 'string' ? wholeExpression(v) : undefined))
    .find((e) => e?.startsWith(`${FUNCTION_TYPE}.`));
  if (!ref) return undefined;
  const match = /^google_cloudfunctions2_function\.([\w-]+)(?:\[([^\]]+)\])?\.name$/.exec(ref);
  if (!match) return undefined;
  const [, resourceName, index] = match;
  const fn = module.resources[FUNCTION_TYPE]?.[resourceName ?? ''];
  if (!fn) return undefined;
  if (index === undefined) {
    const name = evaluate(fn.name, { module });
    return typeof name === 'string' ? [name] : undefined;
  }
  if (/^"[\w-]+"$/.test(index)) return [nameOfInstance(module, fn, index.slice(1, -1))].filter((n): n is string => !!n);
  if (index === 'each.key') {
    const { keys } = forEachKeys(body.for_each, { module });
    if (keys instanceof Computed) return undefined;
    return keys.map((k) => nameOfInstance(module, fn, k)).filter((n): n is string => !!n);
  }
  return undefined;
}

function nameOfInstance(module: TerraformModule, fn: Block, key: string): string | undefined {
  const collection = asRecord(evaluate(fn.for_each, { module }));
  const name = evaluate(fn.name, { module, each: { key, value: collection[key] } });
  return typeof name === 'string' ? name : undefined;
}

function conditionOf(count: unknown): string | undefined {
  const e = typeof count === 'string' ? wholeExpression(count) : undefined;
  return e?.includes('?') ? e.split('?')[0] : undefined;
}

/** The training job runs a command the CLI has, through the package's bin, as the image does. */
export function checkTrainingJob(module: TerraformModule, facts: RepoFacts, base: z.ZodType): string[] {
  const problems: string[] = [];
  const jobs = Object.entries(module.resources.google_cloud_run_v2_job ?? {}).flatMap(([name, body]) =>
    expand(module, 'google_cloud_run_v2_job', name, body).map((instance) => ({ ...instance, body })),
  );
  if (jobs.length === 0) problems.push('no google_cloud_run_v2_job');
  for (const { address, scope, body } of jobs) {
    const task = block(block(body, 'template'), 'template');
    const container = block(task, 'containers');
    const command = asArray(evaluate(container?.command, scope)).map((c) => evaluate(c, scope));
    const args = asArray(evaluate(container?.args, scope)).map((c) => evaluate(c, scope));
    if (command[0] !== 'node' || command[1] !== facts.cliBin) {
      problems.push(`${address}: command ${JSON.stringify(command)} is not ["node", "${facts.cliBin}"] (package.json bin.pitwall)`);
    }
    if (typeof args[0] !== 'string' || !facts.cliCommands.includes(args[0])) {
      problems.push(`${address}: args ${JSON.stringify(args)} name no command of shared/cli/commands/index.ts (${facts.cliCommands.join(', ')})`);
    }
    if (facts.dockerEntrypoint && JSON.stringify(facts.dockerEntrypoint) !== JSON.stringify(command)) {
      problems.push(`${address}: command ${JSON.stringify(command)} differs from the Dockerfile ENTRYPOINT ${JSON.stringify(facts.dockerEntrypoint)}`);
    }
    for (const key of ['service_account', 'timeout', 'max_retries']) {
      if (task?.[key] === undefined) problems.push(`${address}: no ${key}`);
    }
    const limits = asRecord(block(container, 'resources')?.limits);
    if (!limits.cpu || !limits.memory) problems.push(`${address}: no cpu and memory limits`);
    problems.push(...zodProblems(address, base, containerEnv(container, scope)));
  }
  return problems;
}

function containerEnv(container: Block | undefined, scope: Scope): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of asArray(container?.env)) {
    env[String(evaluate(e.name, scope))] = e.value_source !== undefined ? '<secret>' : String(evaluate(e.value, scope));
  }
  for (const dyn of asArray(asRecord(container?.dynamic).env)) {
    const collection = evaluate(dyn.for_each, scope);
    const content = asArray(dyn.content)[0];
    if (collection instanceof Computed || !content) continue;
    for (const [key, value] of Object.entries(asRecord(collection))) {
      const inner: Scope = { ...scope, iterators: { ...scope.iterators, env: { key, value } } };
      const v = evaluate(content.value, inner);
      env[String(evaluate(content.name, inner))] = v instanceof Computed ? v.toString() : String(v);
    }
  }
  return env;
}

/** Every variable is typed and described; every output is described. */
export function checkVariables(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const [name, v] of Object.entries(module.variables)) {
    if (typeof v.type !== 'string' || !v.type) problems.push(`variable "${name}" has no type`);
    if (typeof v.description !== 'string' || v.description.trim().length < 10) problems.push(`variable "${name}" has no description`);
  }
  for (const [name, o] of Object.entries(module.outputs)) {
    if (typeof o.description !== 'string' || !o.description.trim()) problems.push(`output "${name}" has no description`);
  }
  return problems;
}

/** An environment's tfvars set only declared variables, and never a public member. */
export function checkTfvars(file: string, values: Record<string, unknown>, module: TerraformModule): string[] {
  const problems = Object.keys(values)
    .filter((k) => !(k in module.variables))
    .map((k) => `${file}: "${k}" is not a declared variable`);
  for (const p of PUBLIC_MEMBERS) if (JSON.stringify(values).includes(p)) problems.push(`${file} mentions ${p}`);
  return problems;
}

/** Every Cloud Scheduler HTTP job authenticates (its targets are private). */
export function checkSchedulerAuth(module: TerraformModule): string[] {
  return schedulerJobs(module).flatMap(({ address, scope, body }) => {
    const target = block(body, 'http_target');
    if (!target) return [];
    return target.oidc_token || target.oauth_token ? [] : [`${address} calls ${withEach(target.uri, scope)} without a token`];
  });
}

function schedulerJobs(module: TerraformModule): { address: string; scope: Scope; body: Block }[] {
  return Object.entries(module.resources.google_cloud_scheduler_job ?? {}).flatMap(([name, body]) =>
    expand(module, 'google_cloud_scheduler_job', name, body).map((instance) => ({ ...instance, body })),
  );
}

/**
 * Each Scheduler job that calls a function is named in that function's scheduledBy and sends
 * an OIDC token for the function's own URL (FUNCTIONS_BASE_URL/<name>, an AUTH_AUDIENCES
 * entry); each Terraform job a manifest scheduledBy names exists and calls that function.
 * Per-race jobs (per-race:<kind>) are the schedule function's, checked against plan.ts.
 */
export function checkSchedulerJobs(module: TerraformModule, manifest: readonly FunctionSpec[]): string[] {
  const problems: string[] = [];
  const calls = new Map<string, string>();
  for (const { address, scope, body } of schedulerJobs(module)) {
    const target = block(body, 'http_target');
    const uri = withEach(target?.uri, scope);
    const called = [
      ...[...uri.matchAll(/google_cloudfunctions2_function\.function\["([\w-]+)"\]/g)].map((m) => m[1]!),
      ...[...uri.matchAll(/local\.functions_base_url\}\/([\w-]+)/g)].map((m) => m[1]!),
    ];
    if (called.length === 0) continue;
    const name = evaluate(body.name, scope);
    if (new Set(called).size !== 1) {
      problems.push(`${address} calls ${[...new Set(called)].join(' and ')} in one uri`);
      continue;
    }
    const fn = called[0]!;
    if (typeof name !== 'string') {
      problems.push(`${address}: cannot tell its name (${String(body.name)})`);
      continue;
    }
    calls.set(name, fn);
    const spec = manifest.find((f) => f.name === fn);
    if (!spec) problems.push(`${address} (${name}) calls "${fn}", which ${MANIFEST} does not declare`);
    else if (!spec.scheduledBy.includes(name)) {
      problems.push(`${address} (${name}) calls "${fn}", whose scheduledBy in ${MANIFEST} does not name it`);
    }
    const audience = withEach(block(target, 'oidc_token')?.audience, scope);
    const expected = `\${local.functions_base_url}/${fn}`;
    if (audience !== expected) {
      problems.push(`${address} (${name}) calls "${fn}" with OIDC audience ${String(audience)}; the function accepts ${expected}`);
    }
  }
  for (const spec of manifest) {
    for (const job of spec.scheduledBy.filter((j) => !j.startsWith('per-race:'))) {
      const fn = calls.get(job);
      if (fn === undefined) problems.push(`${MANIFEST}: "${spec.name}" is scheduledBy "${job}", which no google_cloud_scheduler_job of terraform/ is`);
      else if (fn !== spec.name) problems.push(`${MANIFEST}: "${spec.name}" is scheduledBy "${job}", but that job calls "${fn}"`);
    }
  }
  return problems;
}

/**
 * The per-race jobs the schedule function creates, against the manifest: each job's kind
 * (pitwall-race-<season>-r<round>-<kind>) is per-race:<kind> in the scheduledBy of the one
 * function it calls, at that function's URL (<base>/<name>), with that URL as its OIDC audience.
 */
export function checkPerRaceJobs(jobs: readonly JobSpec[], manifest: readonly FunctionSpec[], base: string): string[] {
  const problems: string[] = [];
  for (const job of jobs) {
    const kind = job.id.slice(job.id.lastIndexOf('-') + 1);
    const callers = manifest.filter((f) => f.scheduledBy.includes(`per-race:${kind}`));
    if (callers.length !== 1) {
      problems.push(`${job.id}: ${callers.length} manifest functions are scheduledBy per-race:${kind} (expected 1)`);
      continue;
    }
    const url = `${base}/${callers[0]!.name}`;
    if (job.uri !== url && !job.uri.startsWith(`${url}/`) && !job.uri.startsWith(`${url}?`)) {
      problems.push(`${job.id}: calls ${job.uri}, not the function scheduledBy per-race:${kind} (${url})`);
    }
    if (job.oidc?.audience !== url) problems.push(`${job.id}: OIDC audience ${String(job.oidc?.audience)}, expected ${url}`);
  }
  const kinds = new Set(jobs.map((j) => `per-race:${j.id.slice(j.id.lastIndexOf('-') + 1)}`));
  for (const f of manifest) {
    for (const job of f.scheduledBy.filter((j) => j.startsWith('per-race:') && !kinds.has(j))) {
      problems.push(`${f.name} is scheduledBy ${job}, which the schedule function never creates`);
    }
  }
  return problems;
}

/**
 * What `terraform validate` would catch first, without providers: every var.*, local.*,
 * resource and data source an expression names is declared.
 */
export function checkReferences(module: TerraformModule): string[] {
  const problems = new Set<string>();
  const everything = [module.locals, module.variables, module.outputs, module.resources, module.data];
  for (const expr of interpolations(everything)) {
    const text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const m of text.matchAll(/\bvar\.([\w-]+)/g)) if (!(m[1]! in module.variables)) problems.add(`undeclared variable var.${m[1]}`);
    for (const m of text.matchAll(/\blocal\.([\w-]+)/g)) if (!(m[1]! in module.locals)) problems.add(`undeclared local.${m[1]}`);
    for (const m of text.matchAll(/(?<![\w.])data\.(\w+)\.([\w-]+)/g)) {
      if (!module.data[m[1]!]?.[m[2]!]) problems.add(`undeclared data.${m[1]}.${m[2]}`);
    }
    for (const m of text.matchAll(/(?<![\w.])((?:google|random|archive)_\w+)\.([\w-]+)/g)) {
      if (!module.resources[m[1]!]?.[m[2]!]) problems.add(`undeclared resource ${m[1]}.${m[2]}`);
    }
  }
  return [...problems];
}
