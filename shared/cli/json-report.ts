import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

/** A command's --json report: written (its folder made) and logged, or a note that nothing was kept. */
export async function writeJsonReport(file: string | undefined, report: unknown, logger: Logger, what = 'backtest'): Promise<void> {
  if (!file) {
    logger.info('nothing written: pass --json FILE to keep the report');
    return;
  }
  const resolved = path.resolve(file);
  await fs.mkdir(path.dirname(resolved), { recursive: true });
  await fs.writeFile(resolved, `${JSON.stringify(report, null, 2)}\n`);
  logger.info(`${what} written to ${resolved}`, { file: resolved });
}
