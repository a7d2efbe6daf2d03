import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startDevServer } from '../../../functions/dev-server.js';
import { currentForecaster } from '../../api/functions.js';
import { createAppContext } from '../../app/context.js';
import { ValidationError } from '../../errors.js';
import { SimulatedClock } from '../../lifecycle/clock.js';
import { formatReplay, replaySeason } from '../../lifecycle/replay.js';
import { createProgress } from '../../log/progress.js';
import type { Command } from '../command.js';
import { prepareLocalStack } from './serve.js';

export const replayCommand: Command = {
  summary: 'replay a season through the real functions with a simulated clock: freeze, sync, evaluate; print the table',
  usage: 'pitwall replay --season <year> [--json <file>]',
  async run({ config, logger, stdout }, argv) {
    const { values } = parseArgs({ args: argv, options: { season: { type: 'string' }, json: { type: 'string' } }, strict: true });
    const season = Number(values.season);
    if (!Number.isInteger(season) || season < 1950 || season > 2100) throw new ValidationError(`--season must be a year, got ${values.season ?? '(none)'}\nusage: ${this.usage}`);
    // Replays are local: the functions run in this process, so no write credentials apply.
    const app = await createAppContext({ ...config, env: 'local', resultsSource: config.resultsSource }, logger);
    try {
      await prepareLocalStack(app, { train: true, trainedBefore: season });
      const races = await app.repo.races.listSeason(season);
      if (races.length === 0) throw new ValidationError(`no races of ${season} in the database`);
      const clock = new SimulatedClock(new Date(Date.UTC(season, 0, 1)));
      // Walk-forward: only a model whose training data ends before the season may forecast it.
      const forecaster = currentForecaster(app, { trainedBefore: season });
      const server = await startDevServer({ app, clock, port: 0, forecaster });
      const progress = createProgress(logger, `replay ${season}`, races.length);
      try {
        const report = await replaySeason({ baseUrl: server.url, clock, policy: config.freezePolicy, races, progress }, season);
        progress.stop();
        stdout.write(formatReplay(report));
        if (values.json) await fs.writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
        return report.races.some((r) => r.positionMae !== null) ? 0 : 1;
      } finally {
        await server.close();
      }
    } finally {
      await app.close();
    }
  },
};
