import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './repo.js';

// No terraform binary is guaranteed on CI; when there is one, the files must be formatted.
const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
const available = terraform.status === 0;

describe.skipIf(!available)('terraform fmt', () => {
  it('finds every .tf and .tfvars file formatted', () => {
    const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', '-list=true', path.join(repoRoot, 'terraform')], {
      encoding: 'utf8',
    });
    expect(fmt.stdout.trim(), 'run terraform fmt -recursive terraform').toBe('');
    expect(fmt.status).toBe(0);
  });
});
