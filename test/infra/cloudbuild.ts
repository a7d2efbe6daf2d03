import type { RepoFacts } from './repo.js';

/** Checks of cloudbuild.yaml against package.json, the CLI and Terraform. */

export interface BuildStep {
  id?: string;
  name: string;
  entrypoint?: string;
  args?: string[];
  script?: string;
  env?: string[];
  waitFor?: string[];
  dir?: string;
}

export interface BuildConfig {
  steps: BuildStep[];
  substitutions?: Record<string, string>;
}

/** The whole command line a step runs, for searching. */
function commandText(step: BuildStep): string {
  return [step.entrypoint ?? '', ...(step.args ?? []), step.script ?? ''].join(' ');
}

/** `npm run X`, `npm test` and `npx pitwall X` name scripts and commands that exist. */
export function checkBuildCommands(build: BuildConfig, facts: RepoFacts): string[] {
  const problems: string[] = [];
  for (const [i, step] of build.steps.entries()) {
    const label = step.id ?? `step ${i}`;
    const args = step.args ?? [];
    const text = commandText(step);
    const scripts = [...text.matchAll(/\bnpm\s+run(?:-script)?\s+([\w:.-]+)/g)].map((m) => m[1] ?? '');
    if (step.entrypoint === 'npm' && args[0] === 'run' && args[1]) scripts.push(args[1]);
    if (/\bnpm\s+(?:run\s+)?test\b/.test(text) || (step.entrypoint === 'npm' && args[0] === 'test')) scripts.push('test');
    for (const s of new Set(scripts)) {
      if (!facts.scripts[s]) problems.push(`${label}: npm script "${s}" is not in package.json`);
    }
    for (const m of text.matchAll(/\bnpx\s+pitwall\s+([\w-]+)/g)) {
      if (!facts.cliCommands.includes(m[1] ?? '')) problems.push(`${label}: "pitwall ${m[1]}" is not a CLI command`);
    }
  }
  return problems;
}

/** The ids a step waits for, directly or through other steps (Cloud Build semantics). */
export function dependencies(build: BuildConfig, index: number): Set<number> {
  const ids = build.steps.map((s, i) => s.id ?? `#${i}`);
  const direct = (i: number): number[] => {
    const waitFor = build.steps[i]?.waitFor;
    // No waitFor: the step waits for every step before it. ['-']: for none.
    if (waitFor === undefined) return [...Array(i).keys()];
    return waitFor.filter((w) => w !== '-').map((w) => ids.indexOf(w));
  };
  const seen = new Set<number>();
  const stack = direct(index);
  while (stack.length) {
    const i = stack.pop()!;
    if (i < 0 || seen.has(i)) continue;
    seen.add(i);
    stack.push(...direct(i));
  }
  return seen;
}

/** Tests run against a PostgreSQL container; the migration runs before terraform apply. */
export function checkBuildOrder(build: BuildConfig): string[] {
  const problems: string[] = [];
  const find = (re: RegExp) => build.steps.findIndex((s) => re.test(commandText(s)));
  const migrate = find(/\bpitwall\s+migrate\b/);
  const apply = build.steps.findIndex((s) => s.name.includes('terraform') && (s.args ?? [])[0] === 'apply');
  const test = find(/\bnpm\s+(run\s+)?test\b/);
  const push = build.steps.findIndex((s) => (s.args ?? [])[0] === 'push');
  if (migrate < 0) problems.push('no step runs pitwall migrate');
  if (apply < 0) problems.push('no step runs terraform apply');
  if (migrate >= 0 && apply >= 0 && !dependencies(build, apply).has(migrate)) {
    problems.push('terraform apply does not wait for the migration');
  }
  if (test < 0) problems.push('no step runs the tests');
  if (push < 0) problems.push('no step pushes the training image');
  for (const [what, i] of [['the image push', push], ['terraform apply', apply]] as const) {
    if (i >= 0 && test >= 0 && !dependencies(build, i).has(test)) problems.push(`${what} does not wait for the tests`);
  }

  const testStep = build.steps[test];
  const url = testStep?.env?.find((e) => e.startsWith('TEST_DATABASE_URL='));
  const host = url ? /@([^:/]+)/.exec(url)?.[1] : undefined;
  const service = build.steps.find((s) => {
    const t = commandText(s);
    return host !== undefined && new RegExp(`docker run[\\s\\S]*--name[ =]${host}\\b`).test(t) && /--network[ =]cloudbuild/.test(t) && /postgres:15/.test(t);
  });
  if (!service) problems.push('the test step has no TEST_DATABASE_URL on a postgres:15 container on the cloudbuild network');
  else if (!dependencies(build, test).has(build.steps.indexOf(service))) problems.push('the tests do not wait for PostgreSQL');
  return problems;
}

/** The image pushed is the one Terraform deploys, and every ${_X} is declared and used. */
export function checkBuildSubstitutions(text: string, build: BuildConfig, tfvarsFiles: string[]): string[] {
  const problems: string[] = [];
  const declared = Object.keys(build.substitutions ?? {});
  const used = new Set([...text.matchAll(/\$\{(_[A-Z0-9_]+)\}|\$(_[A-Z0-9_]+)/g)].map((m) => m[1] ?? m[2] ?? ''));
  for (const u of used) if (!declared.includes(u)) problems.push(`substitution ${u} is used but not declared`);
  for (const d of declared) if (!used.has(d)) problems.push(`substitution ${d} is declared but not used`);

  const push = build.steps.find((s) => (s.args ?? [])[0] === 'push');
  const tag = push?.args?.[1]?.split(':').pop();
  const plan = build.steps.find((s) => s.name.includes('terraform') && (s.args ?? [])[0] === 'plan');
  const planArgs = plan?.args ?? [];
  if (!tag || !planArgs.includes(`-var=training_image_tag=${tag}`)) {
    problems.push(`terraform plan does not deploy the pushed image tag (${tag ?? 'none'})`);
  }
  const varFile = planArgs.find((a) => a.startsWith('-var-file='))?.slice('-var-file='.length);
  const env = build.substitutions?._ENV;
  if (!varFile || !env || !tfvarsFiles.includes(varFile.replace('${_ENV}', env).replace(/^environments\//, ''))) {
    problems.push(`terraform plan's -var-file ${varFile ?? '(none)'} names no file of terraform/environments for _ENV=${env}`);
  }
  return problems;
}
