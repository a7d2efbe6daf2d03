import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCommand } from '../../../shared/cli/commands/ingest.js';
import { parseConfig } from '../../../shared/config/config.js';
import { ValidationError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';

const data = requireData();

describe.skipIf(data.skip)('pitwall ingest --jolpica against the replay server (PGlite file database)', () => {
  let server: ReplayServer;
  let tmp: string;
  beforeAll(async () => {
    server = await startReplayServer(path.join(dataDir, 'api-replay'));
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-cli-api-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const run = async (argv: string[]) => {
    let out = '';
    const stdout = new Writable({ write: (chunk, _enc, done) => ((out += String(chunk)), done()) });
    const config = parseConfig({
      PGLITE_DIR: path.join(tmp, 'pglite'),
      JOLPICA_BASE_URL: server.jolpicaBaseUrl,
      OPENF1_BASE_URL: server.openf1BaseUrl,
      // The 2023 recordings were made with Ergast's default page size.
      JOLPICA_PAGE_SIZE: '30',
      // A cache folder that does not exist yet: created on the first write.
      HTTP_CACHE_DIR: path.join(tmp, 'cache', 'http'),
    });
    const code = await ingestCommand.run({ config, logger: silentLogger, stdout }, argv);
    return { code, summary: JSON.parse(out) as { runs: { source: string; status: string; tables: Record<string, { inserted: number }> }[] } };
  };

  it('ingests the 2023 schedule and the R9 results, caching the responses', async () => {
    const { code, summary } = await run(['--jolpica', '2023/9', '--jolpica-parts', 'schedule,results']);
    expect(code).toBe(0);
    expect(summary.runs).toHaveLength(1);
    expect(summary.runs[0]).toMatchObject({ source: 'jolpica', status: 'succeeded' });
    expect(summary.runs[0]!.tables.results!.inserted).toBeGreaterThan(0);
    const files = await fs.readdir(path.join(tmp, 'cache', 'http'));
    // Two cached responses (schedule, results) beside the request ledger of the replay host.
    expect(files.filter((f) => !f.startsWith('requests-'))).toHaveLength(2);
    expect(files.filter((f) => f.startsWith('requests-'))).toHaveLength(1);
    // A second run is served from the cache and changes nothing.
    const before = server.requests.length;
    const again = await run(['--jolpica', '2023/9', '--jolpica-parts', 'schedule,results']);
    expect(server.requests.length).toBe(before);
    expect(again.summary.runs[0]!.tables.results!.inserted).toBe(0);
  });

  it('rejects a malformed target with a usage message', async () => {
    await expect(run(['--jolpica', '23/x'])).rejects.toBeInstanceOf(ValidationError);
    await expect(run(['--jolpica-parts', 'results'])).rejects.toThrow(/needs --jolpica/);
  });
});
