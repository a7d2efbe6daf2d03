import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTerraformModule, type Block, type TerraformModule } from './hcl.js';
import { repoRoot } from './repo.js';

let module: TerraformModule;
beforeAll(async () => {
  module = await loadTerraformModule(path.join(repoRoot, 'terraform'));
});

/** Project-wide Cloud Scheduler roles by the function whose service account holds them. */
function schedulerRoles(m: TerraformModule): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, r] of Object.entries((m.resources.google_project_iam_member ?? {}) as Record<string, Block>)) {
    const role = String(r.role ?? '');
    if (!role.startsWith('roles/cloudscheduler.')) continue;
    const fn = /google_service_account\.function\["([^"]+)"\]/.exec(String(r.member ?? ''))?.[1] ?? `(${name})`;
    (out[fn] ??= []).push(role);
  }
  return out;
}

describe('terraform: who may read and manage the Scheduler jobs', () => {
  it('lets the api function read them for GET /jobs/status, and only read; the schedule function manages them', () => {
    expect(schedulerRoles(module)).toEqual({ api: ['roles/cloudscheduler.viewer'], schedule: ['roles/cloudscheduler.admin'] });
  });
});
