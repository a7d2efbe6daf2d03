import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './repo.js';

/**
 * Imports run one way (issue 14): the rules are in .dependency-cruiser.cjs (no cycle, domain
 * imports nothing of the project, the repository no higher layer, evaluation no model or
 * training code, lifecycle no ingest, nothing imports functions/). This runs them over the
 * source tree, as `npx depcruise --config .dependency-cruiser.cjs shared functions bench migrations` does.
 */

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

const depcruise = path.join(repoRoot, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

describe('import direction', () => {
  it('has no import that breaks a layering rule', () => {
    const run = spawnSync(
      process.execPath,
      [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'shared', 'functions', 'bench', 'migrations'],
      { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(run.stdout, run.stderr).not.toBe('');
    const report = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
    const violations = report.summary.violations.map((v) =>
      v.cycle ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')}` : `${v.rule.name}: ${v.from} → ${v.to}`,
    );
    expect(violations, 'see .dependency-cruiser.cjs for the rule and why').toEqual([]);
    // The run really read the tree (a wrong path cruises nothing and finds nothing).
    expect(report.summary.totalCruised).toBeGreaterThan(150);
  });
});
