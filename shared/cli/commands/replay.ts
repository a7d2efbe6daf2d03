import fs from 'node:fs/promises';
import path from 'node:path';
import { createAppContext } from '../../app/context.js';
import { ValidationError } from '../../errors.js';
import { formatReplay } from '../../lifecycle/replay.js';
import { FIRST_FORECAST_SEASON } from '../../lifecycle/predict.js';
import { flagCommand } from '../command.js';
import { prepareLocalStack, replayLocally } from '../local-stack.js';

export const replayCommand = flagCommand({
  summary: 'replay a season through the real functions with a simulated clock: freeze, sync, evaluate; print the table',
  usage: 'pitwall replay --season <year> [--json <file>]',
  flags: { season: { type: 'string' }, json: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const season = Number(values.season);
    if (!Number.isInteger(season) || season < 1950 || season > 2100) throw new ValidationError(`--season must be a year, got ${values.season ?? '(none)'}\nusage: ${this.usage}`);
    if (season < FIRST_FORECAST_SEASON) throw new ValidationError(`pitwall forecasts races from ${FIRST_FORECAST_SEASON} on; --season ${season} is earlier`);
    // Replays are local: the functions run in this process, so no write credentials apply.
    const app = await createAppContext({ ...config, env: 'local', resultsSource: config.resultsSource }, logger);
    try {
      await prepareLocalStack(app, { train: true, trainedBefore: season });
      const report = await replayLocally(app, season);
      stdout.write(formatReplay(report));
      if (values.json) {
        await fs.writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
        logger.info(`replay report written to ${path.resolve(values.json)}`, { file: path.resolve(values.json) });
      }
      return report.races.some((r) => r.positionMae !== null) ? 0 : 1;
    } finally {
      await app.close();
    }
  },
});
