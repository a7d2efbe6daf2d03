import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkBuildCommands, checkBuildOrder, checkBuildSubstitutions, type BuildConfig } from './cloudbuild.js';
import { readRepoFacts, repoRoot } from './repo.js';

const text = fs.readFileSync(path.join(repoRoot, 'cloudbuild.yaml'), 'utf8');
const build = parse(text) as BuildConfig;
const facts = readRepoFacts();
const tfvars = fs.readdirSync(path.join(repoRoot, 'terraform/environments'));
const copy = () => structuredClone(build);

describe('cloudbuild.yaml', () => {
  it('calls only npm scripts and pitwall commands that exist', () => {
    expect(checkBuildCommands(build, facts)).toEqual([]);
  });

  it('fails on a missing npm script or CLI command', () => {
    const b = copy();
    b.steps.push({ id: 'bench', name: 'node:22', entrypoint: 'bash', args: ['-c', 'npm run bench:nothing && npx pitwall frobnicate'] });
    expect(checkBuildCommands(b, facts)).toEqual([
      'bench: npm script "bench:nothing" is not in package.json',
      'bench: "pitwall frobnicate" is not a CLI command',
    ]);
  });

  it('tests against PostgreSQL, and migrates before terraform apply', () => {
    expect(checkBuildOrder(build)).toEqual([]);
  });

  it('fails when apply no longer waits for the migration or tests lose their database', () => {
    // (apply still waits for the tests, through plan -> init -> image push)
    const b = copy();
    b.steps.find((s) => s.id === 'tf-apply')!.waitFor = ['tf-plan'];
    const testStep = b.steps.find((s) => s.id === 'test')!;
    testStep.env = testStep.env!.map((e) => e.replace('pitwall-postgres', 'elsewhere'));
    expect(checkBuildOrder(b)).toEqual([
      'terraform apply does not wait for the migration',
      'the test step has no TEST_DATABASE_URL on a postgres:15 container on the cloudbuild network',
    ]);
  });

  it('deploys the image it pushed, per environment, with declared substitutions', () => {
    expect(checkBuildSubstitutions(text, build, tfvars)).toEqual([]);
    const b = copy();
    b.substitutions!._ENV = 'qa';
    expect(checkBuildSubstitutions(`${text}\n# \${_UNDECLARED}`, b, tfvars)).toEqual([
      'substitution _UNDECLARED is used but not declared',
      "terraform plan's -var-file environments/${_ENV}.tfvars names no file of terraform/environments for _ENV=qa",
    ]);
  });
});
