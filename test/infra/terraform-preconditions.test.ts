import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest } from '../../shared/app/manifest.js';
import { asRecord, evaluate, loadTerraformModule, type Block, type TerraformModule } from './hcl.js';
import { repoRoot } from './repo.js';

// No terraform binary is guaranteed on CI; when there is one, the preconditions on
// google_service_account.function, as written in terraform/iam.tf, are planned for real.
const available = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;

/**
 * A root module of Terraform JSON holding only the manifest's functions, the sizing's names and
 * the real lifecycle block of the function service accounts, on the built-in terraform_data
 * resource: `terraform plan` runs it without provider downloads or credentials.
 */
function planPreconditions(dir: string, functions: Record<string, unknown>, sized: string[], lifecycle: unknown) {
  fs.writeFileSync(
    path.join(dir, 'main.tf.json'),
    JSON.stringify({
      locals: { functions, function_sizing: Object.fromEntries(sized.map((name) => [name, {}])) },
      resource: { terraform_data: { function: { for_each: '${local.functions}', input: '${each.key}', lifecycle } } },
    }),
  );
  const run = (args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
  const init = run(['init', '-input=false', '-no-color']);
  if (init.status !== 0) throw new Error(`terraform init: ${init.stderr}`);
  const plan = run(['plan', '-input=false', '-no-color', '-refresh=false']);
  return { ok: plan.status === 0, output: `${plan.stdout}\n${plan.stderr}`.replace(/\s+/g, ' ') };
}

describe.skipIf(!available)('terraform preconditions on the function manifest', () => {
  let module: TerraformModule;
  let functions: Record<string, unknown>;
  let lifecycle: unknown;
  let dir: string;
  beforeAll(async () => {
    module = await loadTerraformModule(path.join(repoRoot, 'terraform'));
    functions = asRecord(evaluate(module.locals.functions, { module }));
    lifecycle = (module.resources.google_service_account!.function as Block).lifecycle;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-tf-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes the plan when the sizing names exactly the manifest functions', () => {
    expect(Object.keys(functions)).toEqual(functionManifest.map((f) => f.name));
    const sized = Object.keys(asRecord(module.locals.function_sizing));
    const plan = planPreconditions(dir, functions, sized, lifecycle);
    expect(plan.output).not.toContain('Error');
    expect(plan.ok).toBe(true);
  });

  it('fails the plan naming a manifest function without sizing and a sizing without manifest function', () => {
    const sized = [...Object.keys(asRecord(module.locals.function_sizing)).filter((n) => n !== 'pits'), 'leaderboard'];
    const plan = planPreconditions(dir, functions, sized, lifecycle);
    expect(plan.ok).toBe(false);
    expect(plan.output).toContain('Resource precondition failed');
    expect(plan.output).toContain('Function "pits" of shared/app/function-manifest.json has no entry in local.function_sizing');
    expect(plan.output).toContain('local.function_sizing (terraform/main.tf) sizes leaderboard, which shared/app/function-manifest.json does not declare');
  });
});
